"""Reads of the allocations app for views, the API and exports. Every function takes `tenant=`
and the user, and returns only what the user may see (objects under a master they may view)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from allocations.fixml import FixmlAlloc, FixmlFill, FixmlInstruction, fixml_write
from allocations.models import Allocation, AllocationGroup, AllocationLine, Block, BlockFill
from ledger.access import accounts_visible


def _masters(*, user, tenant):
    return accounts_visible(user=user, tenant=tenant, need="view").values("pk")


def groups_for(*, user, tenant) -> QuerySet[AllocationGroup]:
    return (
        AllocationGroup.objects.filter(master__in=_masters(user=user, tenant=tenant))
        .select_related("master")
        .annotate(member_count=Count("members"))
        .order_by("master__number", "name")
    )


def blocks_for(*, user, tenant, awaiting_only: bool = False) -> QuerySet[Block]:
    """Blocks with their filled quantity and whether some fills await allocation."""
    awaiting = BlockFill.objects.filter(block=OuterRef("pk"), allocation__isnull=True)
    qs = (
        Block.objects.filter(master__in=_masters(user=user, tenant=tenant))
        .select_related("master", "instrument", "group")
        .annotate(filled=Sum("fills__quantity"), awaiting=Exists(awaiting))
    )
    if awaiting_only:
        qs = qs.filter(awaiting=True)
    return qs.order_by("-trade_date", "-id")


def block_is_exception(*, block: Block, cutoff: time | None, now: datetime | None = None) -> bool:
    """A block still awaiting allocation after the firm's cut-off time on its trade date (or any
    later day) is an exception."""
    if cutoff is None or not getattr(block, "awaiting", False):
        return False
    now = timezone.localtime(now or timezone.now())
    deadline = timezone.make_aware(datetime.combine(block.trade_date, cutoff))
    return now > deadline


def allocations_for(*, user, tenant, block: Block | None = None) -> QuerySet[Allocation]:
    qs = Allocation.objects.filter(block__master__in=_masters(user=user, tenant=tenant))
    if block is not None:
        qs = qs.filter(block=block)
    return qs.select_related("block", "block__instrument", "group", "booked_by")


def allocation_lines(*, allocation: Allocation) -> QuerySet[AllocationLine]:
    return allocation.lines.select_related("account").order_by("priority", "account__number")


def allocations_of_day(*, user, tenant, on: date) -> QuerySet[Allocation]:
    """Allocations booked or reversed on `on` (in the portal's time zone)."""
    start = timezone.make_aware(datetime.combine(on, time.min))
    end = timezone.make_aware(datetime.combine(on, time.max))
    return (
        allocations_for(user=user, tenant=tenant)
        .filter(Q(booked_at__range=(start, end)) | Q(reversed_at__range=(start, end)))
        .order_by("booked_at", "id")
    )


def _allocs(allocation: Allocation) -> Iterator[FixmlAlloc]:
    rows = (
        AllocationLine.objects.filter(allocation=allocation, quantity__gt=0)
        .order_by("priority", "account__number")
        .values_list("account__number", "quantity", "commission", "id")
        .iterator(chunk_size=5000)
    )
    price = allocation.avg_price
    reference = allocation.reference
    for number, quantity, commission, line_id in rows:
        yield FixmlAlloc(number, quantity, price, f"{reference}-{line_id}", commission)


def _instructions(allocations, *, on: date | None) -> Iterator[FixmlInstruction]:
    for allocation in allocations.iterator(chunk_size=200):
        block = allocation.block
        fills = [
            FixmlFill(f.execution_id, f.quantity, f.price)
            for f in BlockFill.objects.filter(pk__in=allocation.fill_ids).order_by("id")
        ]
        count = allocation.lines.filter(quantity__gt=0).count()
        common = {
            "side": block.side,
            "qty": allocation.quantity,
            "avg_px": allocation.avg_price,
            "currency": block.instrument.currency,
            "trade_date": block.trade_date,
            "settle_date": allocation.entry.settle_date if allocation.entry_id else None,
            "symbol": block.instrument.symbol,
            "security_id": block.instrument.isin,
            "security_id_source": "4" if block.instrument.isin else "",
            "order_id": block.reference,
            "fills": fills,
            "alloc_count": count,
        }
        booked_today = on is None or timezone.localdate(allocation.booked_at) == on
        if booked_today:
            yield FixmlInstruction(
                alloc_id=allocation.reference,
                trans_type="new",
                allocs=_allocs(allocation),
                transact_time=allocation.booked_at,
                **common,
            )
        if allocation.state == Allocation.State.REVERSED and (
            on is None or timezone.localdate(allocation.reversed_at) == on
        ):
            yield FixmlInstruction(
                alloc_id=f"{allocation.reference}-R",
                trans_type="cancel",
                ref_id=allocation.reference,
                allocs=_allocs(allocation),
                transact_time=allocation.reversed_at,
                **common,
            )


def allocations_fixml_write(
    *, out: IO[bytes], allocations: QuerySet[Allocation], on: date | None = None
) -> int:
    """Write `allocations` (booked or reversed, from a selector above) as one FIXML batch:
    a new AllocInstrctn per booking and a cancel per reversal. Lines stream from the database."""
    allocations = allocations.exclude(state=Allocation.State.PREVIEWED).select_related(
        "block", "block__instrument", "entry"
    )
    return fixml_write(out, _instructions(allocations, on=on))


__all__ = [
    "allocation_lines",
    "allocations_fixml_write",
    "allocations_for",
    "allocations_of_day",
    "block_is_exception",
    "blocks_for",
    "groups_for",
]
