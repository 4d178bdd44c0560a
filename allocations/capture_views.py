"""Broker Portal screens that capture blocks by hand: a new block with its fills, and one more
fill for a block. Each view parses the form, goes through an access_* helper and calls the
allocations services; a refusal re-shows the form with what was typed and the reason, and
nothing is written (the services are atomic)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from allocations import selectors
from allocations.access import access_block, access_group
from allocations.actions import BlockCapture, BlockFillAdd
from allocations.services.blocks import FillSpec
from compliance.actions import action_submit, action_view, refusal_text
from ledger.access import access_account, accounts_visible
from ledger.selectors import instruments_by_symbol

FILL_ROWS = 6  # empty fill rows on the capture form; blank rows are left out
FILL_FIELDS = ("quantity", "price", "time", "commission", "fees", "execution_id")


def _messages(error: Exception) -> str:
    return refusal_text(error)


def _decimal(text: str, what: str, *, default: Decimal | None = None) -> Decimal:
    text = (text or "").strip().replace(",", "")
    if not text and default is not None:
        return default
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"{what}: {text!r} is not a number.") from None
    if not value.is_finite():
        raise ValidationError(f"{what}: {text!r} is not a number.")
    return value


def _executed_at(text: str, trade_date: date, what: str) -> datetime:
    """A time of day (HH:MM or HH:MM:SS) on the trade date, in the portal's time zone."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(f"{what}: the time of the fill is missing.")
    try:
        at = time.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{what}: {text!r} is not a time of day (HH:MM:SS).") from None
    return timezone.make_aware(datetime.combine(trade_date, at))


def _fill_spec(values: dict[str, str], trade_date: date, what: str) -> FillSpec:
    return FillSpec(
        quantity=_decimal(values["quantity"], f"{what} quantity"),
        price=_decimal(values["price"], f"{what} price"),
        executed_at=_executed_at(values["time"], trade_date, what),
        commission=_decimal(values["commission"], f"{what} commission", default=Decimal(0)),
        fees=_decimal(values["fees"], f"{what} fees", default=Decimal(0)),
        execution_id=values["execution_id"].strip(),
    )


def _fill_rows(post) -> list[dict[str, str]]:
    return [
        {field: post.get(f"fill-{n}-{field}", "") for field in FILL_FIELDS}
        for n in range(1, FILL_ROWS + 1)
    ]


def _trade_date(text: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise ValidationError("Give the trade date as YYYY-MM-DD.") from None


def _instrument(request, symbol: str):
    symbol = (symbol or "").strip().upper()
    if not symbol:
        raise ValidationError("Give the instrument's symbol.")
    found = instruments_by_symbol(tenant=request.tenant, symbols=[symbol]).get(symbol)
    if found is None:
        raise ValidationError(f"No instrument with the symbol {symbol}.")
    return found


def _capture(request, form) -> BlockCapture:
    """The Action for the form, its objects fetched and checked; refusals of the input raise."""
    trade_date = _trade_date(form.get("trade_date", ""))
    master = access_account(
        user=request.user, tenant=request.tenant, account_id=form.get("master"), need="trade"
    )
    group = None
    if form.get("group"):
        group = access_group(user=request.user, tenant=request.tenant, group_id=form["group"])
    fills = [
        _fill_spec(row, trade_date, f"Fill {n}")
        for n, row in enumerate(_fill_rows(form), start=1)
        if any(row[field].strip() for field in ("quantity", "price", "time"))
    ]
    return BlockCapture.from_request(
        request,
        master=master,
        instrument=_instrument(request, form.get("symbol", "")),
        side=form.get("side", ""),
        trade_date=trade_date,
        fills=fills,
        reference=form.get("reference", ""),
        group=group,
    )


@action_view(BlockCapture)
def block_new(request):
    """Capture a block executed in a master: master, instrument, side, trade date and its fills
    (quantity, price, time, commission, fees)."""
    masters = accounts_visible(user=request.user, tenant=request.tenant, need="trade").filter(
        account_type="master"
    )
    form = request.POST if request.method == "POST" else None
    status = 200
    if form is not None:
        try:
            action = _capture(request, form)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _messages(error))
            status = 400
        else:
            outcome = action_submit(
                request, action, done=lambda b: f"Block {b.reference} captured with its fills."
            )
            if outcome.ok:
                return redirect("allocations_block", block_id=outcome.result.pk)
            status = 400
    context = {
        "masters": masters.order_by("number"),
        "groups": selectors.groups_for(user=request.user, tenant=request.tenant),
        "sides": [("buy", "Buy"), ("sell", "Sell")],
        "form": form or {},
        "fill_rows": _fill_rows(form or {}),
        "today": timezone.localdate(),
    }
    return render(request, "allocations/block_new.html", context, status=status)


@action_view(BlockFillAdd)
@require_POST
def block_fill_add(request, block_id: int):
    """One more fill of a block (booked in the master like the others)."""
    block = access_block(user=request.user, tenant=request.tenant, block_id=block_id)
    row = {field: request.POST.get(field, "") for field in FILL_FIELDS}
    try:
        spec = _fill_spec(row, block.trade_date, "Fill")
    except ValidationError as error:
        messages.error(request, _messages(error))
        return redirect("allocations_block", block_id=block.pk)
    action = BlockFillAdd.from_request(
        request,
        block=block,
        execution_id=spec.execution_id or f"{block.reference}-{block.fills.count() + 1}",
        quantity=spec.quantity,
        price=spec.price,
        executed_at=spec.executed_at,
        commission=spec.commission,
        fees=spec.fees,
    )
    action_submit(
        request, action, done=lambda fill: f"Fill {fill.execution_id} added to {block.reference}."
    )
    return redirect("allocations_block", block_id=block.pk)
