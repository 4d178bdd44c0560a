"""Corporate actions of a Flex statement (`CorporateActions`, rows grouped by `actionID`) as
entries that keep lots and cost basis right:

- forward split (FS) and stock dividend (SD) of the held contract: a split entry, every lot's
  quantity × ratio and price ÷ ratio, the basis and holding period unchanged (IRS Pub. 550,
  "Stock Splits"; IRC §307);
- reverse split (RS), symbol or ISIN change (IC) and stock-for-stock merger (TC with new shares
  and no cash): the old contract's lots carried to the new one, each lot's whole basis spread
  over its new shares and its acquisition date kept (IRC §358 basis, §1223(1) holding period);
- cash merger (TC with proceeds and no new shares), worthless delisting (DW), bond maturity
  (BM): a disposal at the proceeds, realizing gain or loss (IRC §1001);
- cash-and-stock merger (TC with new shares and proceeds): per lot of the old shares, the
  gain realized is the fair market value of the new shares received (the new row's `value`)
  plus the cash, less the lot's basis; the gain recognized is that gain up to the cash (IRC
  §356(a)(1)), a loss is not recognized (§356(c)); the new shares' basis is the old basis less
  the cash received plus the gain recognized (§358(a)(1)), their holding period the old lot's
  (§1223(1)). Booked as the old lot disposed at the price that realizes exactly the gain
  recognized, and the new lot carried in at its §358 basis;
- spin-off (SO): the parent's basis is allocated between the parent and the spin-off shares in
  proportion to their fair market values on the distribution (IRC §358(b)(2) and (c); Treas.
  Reg. §1.358-2(a)(2); the issuer's IRS Form 8937 states the percentages this gives): the
  spin-off's value is the row's `value`, the parent's the shares held at the parent's close
  that day (the price table). Per parent lot: its basis × (1 − share) stays, basis × share
  opens the spin-off lot, acquired with the parent lot (§1223(1)). Without the parent's close
  (or the row's value) the new lot opens at zero basis and the import warns.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ledger import platform
from ledger.domain.lots import PX, QTY
from ledger.imports.flex.reader import flex_decimal
from ledger.journal.post import PostingLine, journal_post
from ledger.journal.projections import lots_load
from ledger.models import Account, JournalEntry, Position, Posting, Price

Kind = JournalEntry.Kind
Role = Posting.Role
ZERO = Decimal(0)
RANK = 1  # ledger.imports.flex.rows.RANK_CORPORATE: at the open of the day


def _held(account: Account, instrument) -> Decimal:
    return (
        Position.objects.filter(account=account, instrument=instrument)
        .values_list("quantity", flat=True)
        .first()
        or ZERO
    )


def corporate_action_book(
    *, event, account: Account, warn: Callable[[str], None]
) -> JournalEntry | None:
    booked = JournalEntry.objects.filter(idempotency_key=f"flex:{event.key}").first()
    if booked is not None:
        return booked  # imported before: its lots have moved already
    rows = event.rows
    kind = (event.attrs.get("type") or "").strip().upper()
    moves = [
        (number, a, instrument, flex_decimal(a, "quantity", default=ZERO))
        for number, a, instrument in rows
    ]
    negatives = [m for m in moves if m[3] < 0]
    positives = [m for m in moves if m[3] > 0]
    proceeds = sum((flex_decimal(a, "proceeds", default=ZERO) for _, a, _ in rows), ZERO)
    corpact = platform.platform_account(platform.CORPORATE_ACTIONS)
    memo = (event.attrs.get("actionDescription") or event.attrs.get("description") or kind)[:300]
    common = {
        "idempotency_key": f"flex:{event.key}",
        "trade_date": event.on,
        "memo": memo,
        "broker_reported": True,
    }

    if not negatives and len(positives) == 1 and kind in ("FS", "SD", "FI", "CS", ""):
        _, _, instrument, added = positives[0]
        held = _held(account, instrument)
        if held <= 0:
            raise ValueError(f"a split of {instrument.symbol}, which the account does not hold")
        return journal_post(
            kind=Kind.STOCK_SPLIT,
            lines=[
                PostingLine(account=account, instrument=instrument, quantity=added),
                PostingLine(account=corpact, instrument=instrument, quantity=-added),
            ],
            split_ratio=((held + added) / held).quantize(Decimal("0.00000001")),
            **common,
        )
    if len(negatives) == 1 and len(positives) == 1 and not proceeds:
        return _carry(account, negatives[0], positives[0], corpact, common)
    if len(negatives) == 1 and len(positives) == 1 and proceeds:
        return _carry_with_boot(account, negatives[0], positives[0], proceeds, corpact, common)
    if len(negatives) == 1 and not positives:
        _, a, instrument, quantity = negatives[0]
        currency = (a.get("currency") or instrument.currency).strip()
        price = (proceeds / -quantity / instrument.multiplier).quantize(PX) if proceeds else ZERO
        lines = [
            PostingLine(account=account, instrument=instrument, quantity=quantity, price=price),
            PostingLine(account=corpact, instrument=instrument, quantity=-quantity, price=price),
        ]
        if proceeds:
            lines += [
                PostingLine(account=account, currency=currency, quantity=proceeds),
                PostingLine(account=corpact, currency=currency, quantity=-proceeds),
            ]
        return journal_post(kind=Kind.CORPORATE_ACTION, lines=lines, **common)
    if not negatives and len(positives) == 1 and kind == "SO":
        return _spin_off(account, positives[0], event, corpact, common, warn)
    raise ValueError(
        f"corporate action {kind or '?'} with {len(negatives)} outgoing and {len(positives)} "
        "incoming contracts is not one the ledger books"
    )


def _carry(account, old, new, corpact, common) -> JournalEntry:
    """Every lot of the old contract to the new one: quantity × (new ÷ old), the lot's basis
    kept whole and its acquisition date kept."""
    _, _, old_instrument, out_quantity = old
    _, _, new_instrument, in_quantity = new
    lots = [lot for lot in lots_load(account.pk, old_instrument.pk) if lot.quantity > 0]
    held = sum((lot.quantity for lot in lots), ZERO)
    if held != -out_quantity:
        raise ValueError(
            f"{old_instrument.symbol}: the action removes {-out_quantity}, the account holds {held}"
        )
    ratio = in_quantity / held
    lines = []
    placed = ZERO
    for index, lot in enumerate(lots):
        quantity = (
            (lot.quantity * ratio).quantize(QTY) if index < len(lots) - 1 else in_quantity - placed
        )
        placed += quantity
        basis = lot.quantity * lot.price * old_instrument.multiplier
        price = (basis / quantity / new_instrument.multiplier).quantize(PX)
        lines += [
            PostingLine(
                account=account,
                instrument=old_instrument,
                quantity=-lot.quantity,
                price=lot.price,
                role=Role.CARRY,
            ),
            PostingLine(
                account=corpact,
                instrument=old_instrument,
                quantity=lot.quantity,
                price=lot.price,
                role=Role.CARRY,
            ),
            *carried_in(
                account=account,
                contra=corpact,
                instrument=new_instrument,
                quantity=quantity,
                price=price,
                acquired=lot.open_date,
            ),
        ]
    return journal_post(kind=Kind.CORPORATE_ACTION, lines=lines, **common)


def carried_in(*, account, contra, instrument, quantity, price, acquired) -> list[PostingLine]:
    """A position carried into `account` at `price` with its acquisition date kept (the lot's
    holding period), against the same quantity out of `contra` (the corporate-action or
    clearing account)."""
    return [
        PostingLine(
            account=account,
            instrument=instrument,
            quantity=quantity,
            price=price,
            role=Role.CARRY,
            acquired=acquired,
        ),
        PostingLine(
            account=contra, instrument=instrument, quantity=-quantity, price=price, role=Role.CARRY
        ),
    ]


def _lots_held(account, instrument, out_quantity: Decimal | None = None) -> list:
    lots = [lot for lot in lots_load(account.pk, instrument.pk) if lot.quantity > 0]
    held = sum((lot.quantity for lot in lots), ZERO)
    if out_quantity is not None and held != -out_quantity:
        raise ValueError(
            f"{instrument.symbol}: the action removes {-out_quantity}, the account holds {held}"
        )
    return lots


def _shares(total: Decimal, lots: list) -> list[Decimal]:
    """`total` new shares spread over `lots` in proportion to their quantities (the last lot
    takes what rounding left)."""
    held = sum((lot.quantity for lot in lots), ZERO)
    out, placed = [], ZERO
    for index, lot in enumerate(lots):
        share = (
            (total * lot.quantity / held).quantize(QTY) if index < len(lots) - 1 else total - placed
        )
        placed += share
        out.append(share)
    return out


def _carry_with_boot(account, old, new, cash: Decimal, corpact, common) -> JournalEntry:
    """A merger paying new shares and cash (the module docstring: IRC §356, §358(a)(1))."""
    _, old_attrs, old_instrument, out_quantity = old
    _, new_attrs, new_instrument, in_quantity = new
    value = flex_decimal(new_attrs, "value", default=ZERO)
    if value <= 0:
        raise ValueError(
            f"a cash-and-stock merger into {new_instrument.symbol} without the new shares' "
            "fair market value (value): the gain recognized (IRC §356) needs it"
        )
    lots = _lots_held(account, old_instrument, out_quantity)
    held = -out_quantity
    currency = (old_attrs.get("currency") or old_instrument.currency).strip()
    lines = []
    for lot, quantity in zip(lots, _shares(in_quantity, lots), strict=True):
        part = lot.quantity / held
        basis = lot.quantity * lot.price * old_instrument.multiplier
        boot = (cash * part).quantize(QTY)
        realized = (value * part).quantize(QTY) + boot - basis
        recognized = min(max(realized, ZERO), boot)  # §356(a)(1); a loss: §356(c)
        new_basis = basis - boot + recognized  # §358(a)(1)
        # The old lot leaves at the price that realizes the gain recognized, and no more.
        out_price = ((basis + recognized) / lot.quantity / old_instrument.multiplier).quantize(PX)
        in_price = (new_basis / quantity / new_instrument.multiplier).quantize(PX)
        lines += [
            PostingLine(
                account=account, instrument=old_instrument, quantity=-lot.quantity, price=out_price
            ),
            PostingLine(
                account=corpact, instrument=old_instrument, quantity=lot.quantity, price=out_price
            ),
            *carried_in(
                account=account,
                contra=corpact,
                instrument=new_instrument,
                quantity=quantity,
                price=in_price,
                acquired=lot.open_date,
            ),
        ]
    lines += [
        PostingLine(account=account, currency=currency, quantity=cash),
        PostingLine(account=corpact, currency=currency, quantity=-cash),
    ]
    return journal_post(kind=Kind.CORPORATE_ACTION, lines=lines, **common)


def _parent_of(account, attrs: dict, instrument):
    """The parent of a spin-off: the contract the account holds that the action's description
    names first (IBKR: `PARENT(ISIN) SPINOFF n FOR m (NEW, ...)`), by ISIN, else by symbol."""
    description = (attrs.get("actionDescription") or attrs.get("description") or "").strip()
    head = description.split(" ", 1)[0]
    symbol, _, rest = head.partition("(")
    isin = rest.rstrip(")")
    held = (
        Position.objects.filter(account=account, quantity__gt=0)
        .exclude(instrument=instrument)
        .select_related("instrument")
    )
    by_isin = [p.instrument for p in held if isin and p.instrument.isin == isin]
    by_symbol = [p.instrument for p in held if symbol and p.instrument.symbol == symbol]
    found = by_isin or by_symbol
    return found[0] if len(found) == 1 else None


def _spin_off(account, new, event, corpact, common, warn) -> JournalEntry:
    """A spin-off: the parent's basis allocated by fair market value (the module docstring)."""
    _, attrs, instrument, added = new
    parent = _parent_of(account, attrs, instrument)
    value = flex_decimal(attrs, "value", default=ZERO)
    close = None
    if parent is not None:
        close = (
            Price.objects.filter(instrument=parent, date__lte=event.on)
            .order_by("-date")
            .values_list("close", flat=True)
            .first()
        )
    if parent is None or close is None or value <= 0:
        warn(
            f"spin-off of {instrument.symbol}: opened at zero basis; the parent, its close on "
            f"{event.on} or the spin-off's value is not known to allocate the basis by fair "
            "market value (IRC §358(c))"
        )
        return journal_post(
            kind=Kind.CORPORATE_ACTION,
            lines=[
                *carried_in(
                    account=account,
                    contra=corpact,
                    instrument=instrument,
                    quantity=added,
                    price=ZERO,
                    acquired=event.on,
                ),
            ],
            **common,
        )
    lots = _lots_held(account, parent)
    held = sum((lot.quantity for lot in lots), ZERO)
    parent_value = held * close * parent.multiplier
    share = value / (value + parent_value)  # the spin-off's part of the basis
    kept, opened = [], []
    for lot, quantity in zip(lots, _shares(added, lots), strict=True):
        basis = lot.quantity * lot.price * parent.multiplier
        moved = (basis * share).quantize(QTY)
        stays = ((basis - moved) / lot.quantity / parent.multiplier).quantize(PX)
        price = (moved / quantity / instrument.multiplier).quantize(PX)
        kept.append((lot, stays))
        opened.append((lot, quantity, price))
    lines = []
    # The parent's lots out at their basis, then back in (oldest first, so their order stays)
    # at what remains of it.
    for lot, _ in kept:
        lines += [
            PostingLine(
                account=account,
                instrument=parent,
                quantity=-lot.quantity,
                price=lot.price,
                role=Role.CARRY,
            ),
            PostingLine(
                account=corpact,
                instrument=parent,
                quantity=lot.quantity,
                price=lot.price,
                role=Role.CARRY,
            ),
        ]
    for lot, stays in kept:
        lines += [
            *carried_in(
                account=account,
                contra=corpact,
                instrument=parent,
                quantity=lot.quantity,
                price=stays,
                acquired=lot.open_date,
            ),
        ]
    for lot, quantity, price in opened:
        lines += [
            *carried_in(
                account=account,
                contra=corpact,
                instrument=instrument,
                quantity=quantity,
                price=price,
                acquired=lot.open_date,
            ),
        ]
    return journal_post(kind=Kind.CORPORATE_ACTION, lines=lines, **common)
