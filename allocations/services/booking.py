"""Preview, book and reverse the allocation of a block's fills over a group's sub-accounts.

Booking is one ledger entry (`journal_post`): each sub-account receives (buy) or gives (sell) its
quantity at the block's average price, pays or receives its share of the principal, and pays
its share of commission and fees, all against the master, which so ends flat. Shares of money
are split by largest remainder so they sum exactly to what the master paid the street.

Concurrency: `allocation_book` and `allocation_reverse` lock the block row first
(`select_for_update`), then re-read the allocation and its fills. Two people booking the same
block at once queue on that lock; the second finds the allocation booked (or its fills taken by
another allocation) and is refused with who booked it and when. A fill points at one booked
allocation only (a foreign key), so a fill can never be passed on twice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from allocations.access import group_usable, trade_check
from allocations.engine import (
    AllocationError,
    Member,
    Method,
    split_in_proportion,
)
from allocations.funding import allocation_funding, allocation_shortfalls
from allocations.increments import allocate_increment
from allocations.models import Allocation, AllocationGroup, AllocationLine, Block, BlockFill
from allocations.services.errors import AllocationRefused
from compliance.services.audit import audit_record
from events.services import event_record
from ledger.journal import PostingLine, journal_post
from ledger.journal.sqlbulk import copy_rows, text
from ledger.models import Account, JournalEntry
from ledger.selectors import accounts_for, position_quantities_for, valuations_for_accounts
from ledger.services import entry_reverse, trade_settle_date

PRICE_PLACES = Decimal("0.0000000001")
AMOUNT_PLACES = Decimal("0.00000001")
SHARE_PLACES = Decimal("0.000000000001")
ZERO = Decimal(0)


class _MemberRow(NamedTuple):
    account_id: int
    number: str
    priority: int
    value: Decimal | None


def _engine_members(*, tenant, group: AllocationGroup, block: Block) -> tuple[list, list[Member]]:
    """The group's members (ordered by priority, account number) and what the method weighs."""
    rows = [
        _MemberRow(*values)
        for values in group.members.order_by("priority", "account__number").values_list(
            "account_id", "account__number", "priority", "value"
        )
    ]
    method = Method(group.method)
    if method in (Method.NET_LIQUIDATION, Method.AVAILABLE_EQUITY):
        # Members are sub-accounts of the group's master, so of this tenant (checked on save).
        valuations = valuations_for_accounts(
            tenant=tenant, account_ids=[r.account_id for r in rows]
        )
        if method is Method.NET_LIQUIDATION:
            values = {pk: v.nlv for pk, v in valuations.items()}
        else:
            values = {pk: v.nlv - v.initial_margin for pk, v in valuations.items()}
    elif method is Method.PCT_CHANGE:
        values = position_quantities_for(
            tenant=tenant,
            account_ids=[r.account_id for r in rows],
            instrument_id=block.instrument_id,
        )
    else:
        values = {r.account_id: r.value for r in rows}
    members = [
        Member(
            account=r.number,
            priority=r.priority,
            value=values.get(r.account_id) or ZERO,
        )
        for r in rows
    ]
    return rows, members


def _share_decimal(line, previous: Decimal | None) -> Decimal:
    """The exact share of this allocation: of the block so far less what was allocated before."""
    exact = Decimal(line.numerator) / (Decimal(line.denominator) * Decimal(10) ** line.scale)
    return (exact - (previous or ZERO)).quantize(SHARE_PLACES)


def _explanation(line, previous: Decimal | None, quantity: Decimal) -> str:
    if previous is None:
        return line.explanation
    return (
        f"block so far: {line.explanation}; less {previous.normalize():f} allocated from "
        f"earlier fills → {quantity.normalize():f}"
    )


def _previously_allocated(block: Block, group: AllocationGroup) -> dict[str, Decimal]:
    """What booked allocations of earlier fills gave each account, when they used the same
    group, method and step (then this fill is allocated as part of the block so far)."""
    rows = (
        AllocationLine.objects.filter(
            allocation__block=block,
            allocation__group=group,
            allocation__state=Allocation.State.BOOKED,
            allocation__method=group.method,
            allocation__step=group.step,
        )
        .values("account__number")
        .annotate(total=Sum("quantity"))
    )
    return {row["account__number"]: row["total"] for row in rows}


@transaction.atomic
def allocation_preview(
    *, user, tenant, block: Block, group: AllocationGroup | None = None
) -> Allocation:
    """Allocate the block's fills not yet allocated over `group` (default: the block's group)
    and store the result with an explanation per account. Nothing is booked. The block's
    earlier previews are replaced: only the latest one can be booked."""
    group = group or block.group
    if group is None:
        raise AllocationRefused("Choose an allocation group for this block.")
    if group.master_id != block.master_id:
        raise AllocationRefused(f"Group {group.name} belongs to another master.")
    if not group_usable(user=user, group=group):
        raise PermissionDenied(f"Group {group.name} is reserved to other users.")
    fills = list(block.fills.filter(allocation__isnull=True).order_by("executed_at", "id"))
    if not fills:
        raise AllocationRefused(f"Block {block.reference} has no fills awaiting allocation.")
    quantity = sum((f.quantity for f in fills), ZERO)
    multiplier = block.instrument.multiplier
    principal = sum(
        ((f.quantity * f.price * multiplier).quantize(AMOUNT_PLACES) for f in fills), ZERO
    )
    avg_price = (sum((f.quantity * f.price for f in fills), ZERO) / quantity).quantize(PRICE_PLACES)
    commission = sum((f.commission for f in fills), ZERO)
    fees = sum((f.fees for f in fills), ZERO)
    rows, members = _engine_members(tenant=tenant, group=group, block=block)
    previous = _previously_allocated(block, group)
    try:
        increment = allocate_increment(
            quantity=quantity,
            previous=previous,
            members=members,
            method=group.method,
            step=group.step,
            price=avg_price,
            side=block.side,
            pct=group.pct,
        )
    except AllocationError as error:
        raise AllocationRefused(str(error)) from None
    quantities = increment.quantities
    Allocation.objects.filter(block=block, state=Allocation.State.PREVIEWED).delete()
    principals = split_in_proportion(amount=principal, quantities=quantities, places=8)
    commissions = split_in_proportion(amount=commission, quantities=quantities)
    fee_shares = split_in_proportion(amount=fees, quantities=quantities)
    allocation = Allocation.objects.create(
        block=block,
        group=group,
        method=group.method,
        step=group.step,
        quantity=quantity,
        avg_price=avg_price,
        principal=principal,
        commission=commission,
        fees=fees,
        fill_ids=[f.pk for f in fills],
        created_by=user,
    )
    _lines_copy(
        allocation.pk,
        (
            (
                row.account_id,
                row.priority,
                quantities[i],
                _share_decimal(line, previous.get(line.account)),
                principals[i],
                commissions[i],
                fee_shares[i],
                _explanation(line, previous.get(line.account), quantities[i]),
            )
            for i, (row, line) in enumerate(zip(rows, increment.allocation.lines, strict=True))
        ),
    )
    audit_record(
        actor=user,
        action="allocation.preview",
        target=f"allocation:{allocation.reference}",
        details={"block": block.reference, "group": group.name, "quantity": str(quantity)},
    )
    return allocation


def _lines_copy(allocation_id: int, lines) -> None:
    """Store the preview's lines with one COPY (a group may have thousands of members)."""
    with connection.cursor() as cursor:
        copy_rows(
            cursor,
            AllocationLine._meta.db_table,
            "allocation_id, account_id, priority, quantity, exact_share, principal, commission, "
            "fees, explanation",
            (
                f"{allocation_id}\t{account}\t{priority}\t{quantity}\t{share}\t{principal}\t"
                f"{commission}\t{fees}\t{text(why)}\n"
                for account, priority, quantity, share, principal, commission, fees, why in lines
            ),
        )


def _locked(allocation: Allocation) -> tuple[Block, Allocation]:
    block = (
        Block.objects.select_for_update()
        .select_related("master", "instrument")
        .get(pk=allocation.block_id)
    )
    current = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("booked_by", "group")
        .filter(pk=allocation.pk)
        .first()
    )
    if current is None:
        raise AllocationRefused(
            f"{allocation.reference} was replaced by a newer preview of block "
            f"{block.reference}; nothing was booked. Book the latest preview."
        )
    return block, current


def _who(user, when) -> str:
    name = user.get_username() if user is not None else "someone"
    return f"{name} at {timezone.localtime(when):%Y-%m-%d %H:%M:%S %Z}" if when else name


class _BookedLine(NamedTuple):
    account: Account
    account_id: int
    quantity: Decimal
    principal: Decimal
    commission: Decimal
    fees: Decimal


def _booking_lines(block: Block, allocation: Allocation, lines) -> list[PostingLine]:
    instrument, ccy = block.instrument, block.instrument.currency
    sign = Decimal(1) if block.side == Block.Side.BUY else Decimal(-1)
    price = allocation.avg_price
    master = block.master
    out: list[PostingLine] = []
    for line in lines:
        account = line.account
        out.append(
            PostingLine(
                account=account, instrument=instrument, quantity=sign * line.quantity, price=price
            )
        )
        if line.principal:
            out.append(PostingLine(account=account, currency=ccy, quantity=-sign * line.principal))
        for amount, role in ((line.commission, "commission"), (line.fees, "fee")):
            if amount:
                out.append(PostingLine(account=account, currency=ccy, quantity=-amount, role=role))
    out.append(
        PostingLine(
            account=master, instrument=instrument, quantity=-sign * allocation.quantity, price=price
        )
    )
    if allocation.principal:
        out.append(PostingLine(account=master, currency=ccy, quantity=sign * allocation.principal))
    for amount, role in ((allocation.commission, "commission"), (allocation.fees, "fee")):
        if amount:
            out.append(PostingLine(account=master, currency=ccy, quantity=amount, role=role))
    return out


@transaction.atomic
def allocation_book(*, user, tenant, allocation: Allocation) -> Allocation:
    """Book a previewed allocation: one ledger entry moving position and money from the master
    to the sub-accounts at the block's average price. Refused (nothing booked) when someone else
    booked it or its fills first, or when the user may not trade in every account."""
    block, allocation = _locked(allocation)
    if allocation.state == Allocation.State.BOOKED:
        raise AllocationRefused(
            f"{allocation.reference} was already booked by "
            f"{_who(allocation.booked_by, allocation.booked_at)}; nothing was booked again."
        )
    if allocation.state == Allocation.State.REVERSED:
        raise AllocationRefused(f"{allocation.reference} was reversed; preview again.")
    fills = list(BlockFill.objects.filter(pk__in=allocation.fill_ids).select_related("allocation"))
    taken = [f for f in fills if f.allocation_id is not None]
    if taken or len(fills) != len(allocation.fill_ids):
        other = taken[0].allocation if taken else None
        by = (
            f" by {other.reference}, booked by {_who(other.booked_by, other.booked_at)}"
            if other
            else ""
        )
        raise AllocationRefused(
            f"The fills of {block.reference} were allocated{by}; nothing was booked. "
            "Preview the block again for any fills left."
        )
    if not group_usable(user=user, group=allocation.group):
        raise PermissionDenied(f"Group {allocation.group.name} is reserved to other users.")
    rows = list(
        allocation.lines.filter(quantity__gt=0)
        .order_by("id")
        .values_list("account_id", "quantity", "principal", "commission", "fees")
    )
    accounts = {a.pk: a for a in accounts_for(tenant=tenant, account_ids=[row[0] for row in rows])}
    lines = [_BookedLine(accounts[row[0]], *row) for row in rows]
    trade_check(
        user=user,
        tenant=tenant,
        master_id=block.master_id,
        account_ids=[line.account_id for line in lines],
    )
    shortfalls = allocation_shortfalls(
        allocation_funding(tenant=tenant, block=block, lines=lines),
        {line.account_id: line.account.number for line in lines},
    )
    if shortfalls:
        raise AllocationRefused(
            f"{allocation.reference} was not booked: " + "; ".join(shortfalls) + ". Fund the "
            "accounts or leave them out of the group, then preview again."
        )
    entry = journal_post(
        kind=JournalEntry.Kind.TRADE,
        lines=_booking_lines(block, allocation, lines),
        idempotency_key=f"allocation:{tenant.schema_name}:{allocation.pk}",
        trade_date=block.trade_date,
        settle_date=trade_settle_date(instrument=block.instrument, trade_date=block.trade_date),
        memo=(
            f"Allocation {allocation.reference} of block {block.reference} ({block.side} "
            f"{allocation.quantity:f} {block.instrument.symbol} @ {allocation.avg_price:f})"
        ),
    )
    now = timezone.now()
    Allocation.objects.filter(pk=allocation.pk, state=Allocation.State.PREVIEWED).update(
        state=Allocation.State.BOOKED, entry=entry, booked_by=user, booked_at=now
    )
    BlockFill.objects.filter(pk__in=allocation.fill_ids, allocation=None).update(
        allocation=allocation
    )
    audit_record(
        actor=user,
        action="allocation.book",
        target=f"allocation:{allocation.reference}",
        details={"block": block.reference, "entry": entry.pk, "accounts": len(lines)},
    )
    allocation.refresh_from_db()
    event_record(
        kind="allocation.booked",
        subject=f"allocation:{allocation.pk}",
        account_id=block.master_id,
        data={
            "reference": allocation.reference,
            "block": block.reference,
            "entry": entry.pk,
            "quantity": str(allocation.quantity),
            "avg_price": str(allocation.avg_price),
        },
    )
    return allocation


@transaction.atomic
def allocation_reverse(*, user, tenant, allocation: Allocation) -> Allocation:
    """Reverse a booked allocation with a reversal entry; its fills await allocation again."""
    block, allocation = _locked(allocation)
    if allocation.state != Allocation.State.BOOKED:
        raise AllocationRefused(
            f"Only a booked allocation can be reversed; {allocation.reference} is "
            f"{allocation.get_state_display().lower()}."
        )
    account_ids = list(allocation.lines.filter(quantity__gt=0).values_list("account_id", flat=True))
    trade_check(user=user, tenant=tenant, master_id=block.master_id, account_ids=account_ids)
    reversal = entry_reverse(
        entry=allocation.entry,
        idempotency_key=f"allocation-reversal:{tenant.schema_name}:{allocation.pk}",
    )
    Allocation.objects.filter(pk=allocation.pk).update(
        state=Allocation.State.REVERSED,
        reversal_entry=reversal,
        reversed_by=user,
        reversed_at=timezone.now(),
    )
    BlockFill.objects.filter(allocation=allocation).update(allocation=None)
    audit_record(
        actor=user,
        action="allocation.reverse",
        target=f"allocation:{allocation.reference}",
        details={"block": block.reference, "reversal_entry": reversal.pk},
    )
    allocation.refresh_from_db()
    event_record(
        kind="allocation.reversed",
        subject=f"allocation:{allocation.pk}",
        account_id=block.master_id,
        data={
            "reference": allocation.reference,
            "block": block.reference,
            "reversal_entry": reversal.pk,
        },
    )
    return allocation
