"""Blocks: executions of a block order in a master account, booked through the ledger.

Three ways in: by hand in the Broker Portal (`block_capture`: the block and its fills in one
transaction), one call per block and per fill for programs (`block_create`, `block_fill_add`),
and from the ledger's execution import (`blocks_from_master_executions`, subscribed in
`AllocationsConfig.ready`)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from allocations.access import trade_check
from allocations.models import AllocationGroup, Block, BlockFill
from allocations.services.errors import AllocationRefused
from compliance.services.audit import audit_record
from ledger.models import Account, Instrument, JournalEntry
from ledger.selectors import accounts_for, execution_entries_for, execution_entry_for
from ledger.services import trade_book


@transaction.atomic
def block_create(
    *,
    actor,
    tenant,
    master: Account,
    instrument: Instrument,
    side: str,
    trade_date: date,
    reference: str = "",
    group: AllocationGroup | None = None,
) -> Block:
    """Open a block in an advisor master (no fills yet). `reference` defaults to a new one."""
    if master.tenant_id != tenant.pk or master.account_type != Account.Type.MASTER:
        raise AllocationRefused(f"{master.number} is not an advisor master of this firm.")
    if group is not None and group.master_id != master.pk:
        raise AllocationRefused(f"Group {group.name} belongs to another master.")
    trade_check(user=actor, tenant=tenant, master_id=master.pk, account_ids=[])
    if side not in Block.Side.values:
        raise AllocationRefused(f"Side must be buy or sell, not {side!r}.")
    reference = (reference or "").strip() or block_reference_new(trade_date=trade_date)
    if Block.objects.filter(reference=reference).exists():
        raise AllocationRefused(f"A block with reference {reference} exists already.")
    block = Block(
        reference=reference,
        master=master,
        instrument=instrument,
        side=side,
        trade_date=trade_date,
        group=group,
    )
    block.full_clean()
    block.save()
    audit_record(
        actor=actor,
        action="allocation.block_create",
        target=f"block:{block.reference}",
        details={"master": master.number, "symbol": instrument.symbol, "side": side},
    )
    return block


def _imported_entry(*, tenant, block: Block, execution_id: str) -> JournalEntry | None:
    """An execution already booked in the master by the ledger's execution import."""
    booked, entry = execution_entry_for(
        tenant=tenant,
        execution_id=execution_id,
        account_id=block.master_id,
        instrument_id=block.instrument_id,
    )
    if booked and entry is None:
        raise AllocationRefused(f"Execution {execution_id} is not a fill of this block.")
    return entry


@transaction.atomic
def block_fill_add(
    *,
    actor,
    tenant,
    block: Block,
    execution_id: str,
    quantity: Decimal,
    price: Decimal,
    executed_at: datetime,
    commission: Decimal = Decimal(0),
    fees: Decimal = Decimal(0),
) -> BlockFill:
    """Record a fill of the block. The execution is booked in the master (street side, commission
    and fees) unless the execution import already booked it, in which case it is attached."""
    trade_check(user=actor, tenant=tenant, master_id=block.master_id, account_ids=[])
    execution_id = (execution_id or "").strip()
    if not execution_id:
        raise AllocationRefused("A fill needs an execution id.")
    if BlockFill.objects.filter(execution_id=execution_id).exists():
        raise AllocationRefused(f"Execution {execution_id} is already a fill of a block.")
    try:
        quantity, price = Decimal(quantity), Decimal(price)
        commission, fees = Decimal(commission), Decimal(fees)
    except (InvalidOperation, TypeError, ValueError):
        raise AllocationRefused("Quantity, price, commission and fees must be numbers.") from None
    if quantity <= 0:
        raise AllocationRefused("A fill has a positive quantity.")
    if price < 0:
        raise AllocationRefused("A fill's price cannot be negative.")
    entry = _imported_entry(tenant=tenant, block=block, execution_id=execution_id) or trade_book(
        account=block.master,
        instrument=block.instrument,
        side=block.side,
        quantity=quantity,
        price=price,
        trade_date=block.trade_date,
        idempotency_key=f"block-fill:{execution_id}",
        commission=commission,
        fees=fees,
        execution_id=execution_id,
    )
    fill = BlockFill(
        block=block,
        entry=entry,
        execution_id=execution_id,
        quantity=quantity,
        price=price,
        commission=abs(Decimal(commission)),
        fees=abs(Decimal(fees)),
        executed_at=executed_at,
    )
    fill.full_clean()
    fill.save()
    audit_record(
        actor=actor,
        action="allocation.fill_add",
        target=f"block:{block.reference}",
        details={"execution_id": execution_id, "quantity": str(quantity), "price": str(price)},
    )
    return fill


def block_reference_new(*, trade_date: date) -> str:
    """A new block reference: the trade date and four random hex digits (B20261120-3F9A)."""
    for _ in range(20):
        reference = f"B{trade_date:%Y%m%d}-{secrets.token_hex(2).upper()}"
        if not Block.objects.filter(reference=reference).exists():
            return reference
    raise AllocationRefused("No free block reference for this day; give one.")


@dataclass(frozen=True)
class FillSpec:
    """One fill typed in by hand; `execution_id` defaults to the block's reference and number."""

    quantity: Decimal
    price: Decimal
    executed_at: datetime
    commission: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    execution_id: str = ""


@transaction.atomic
def block_capture(
    *,
    actor,
    tenant,
    master: Account,
    instrument: Instrument,
    side: str,
    trade_date: date,
    fills: Sequence[FillSpec],
    reference: str = "",
    group: AllocationGroup | None = None,
) -> Block:
    """Create a block and book its fills in the master, all or nothing: a refused fill (a
    closed market day, a duplicate execution id, a bad number) leaves no block and no booking."""
    if not fills:
        raise AllocationRefused("A block needs at least one fill.")
    block = block_create(
        actor=actor,
        tenant=tenant,
        master=master,
        instrument=instrument,
        side=side,
        trade_date=trade_date,
        reference=reference,
        group=group,
    )
    for number, spec in enumerate(fills, start=1):
        try:
            block_fill_add(
                actor=actor,
                tenant=tenant,
                block=block,
                execution_id=spec.execution_id or f"{block.reference}-{number}",
                quantity=spec.quantity,
                price=spec.price,
                executed_at=spec.executed_at,
                commission=spec.commission,
                fees=spec.fees,
            )
        except AllocationRefused as error:
            raise AllocationRefused(f"Fill {number}: {' '.join(error.messages)}") from None
        except ValidationError as error:  # the ledger's refusals (closed day, funds)
            raise AllocationRefused(f"Fill {number}: {' '.join(error.messages)}") from None
    return block


def _imported_at(trade_date: date, now: datetime) -> datetime:
    """An execution file gives no time of day: the import's time when it runs on the trade
    date, else the end of the trade date (the fills of a day keep the file's order by id)."""
    if timezone.localdate(now) == trade_date:
        return now
    return timezone.make_aware(datetime.combine(trade_date, time(23, 59, 59)))


@transaction.atomic
def blocks_from_master_executions(*, tenant, executions) -> int:
    """Each execution imported into an advisor master of `tenant` becomes a fill of the open
    block of the same master, instrument, side and trade date (the latest such block), or of a
    new one. Idempotent by execution id: an execution that is a fill already is left alone.
    Returns the number of fills added. Runs in the tenant's schema."""
    executions = [e for e in executions if e.tenant_id == tenant.pk]
    if not executions:
        return 0
    ids = [e.execution_id for e in executions]
    taken = set(
        BlockFill.objects.filter(execution_id__in=ids).values_list("execution_id", flat=True)
    )
    executions = [e for e in executions if e.execution_id not in taken]
    if not executions:
        return 0
    entries = execution_entries_for(
        tenant=tenant, execution_ids=[e.execution_id for e in executions]
    )
    masters = {
        a.pk: a for a in accounts_for(tenant=tenant, account_ids={e.account_id for e in executions})
    }
    keys = {(e.account_id, e.instrument_id, e.side, e.trade_date) for e in executions}
    open_blocks: dict[tuple, Block] = {}
    for block in Block.objects.filter(
        master_id__in={k[0] for k in keys},
        instrument_id__in={k[1] for k in keys},
        trade_date__in={k[3] for k in keys},
    ).order_by("id"):
        open_blocks[(block.master_id, block.instrument_id, block.side, block.trade_date)] = block
    now = timezone.now()
    fills = []
    opened = []
    for e in executions:
        key = (e.account_id, e.instrument_id, e.side, e.trade_date)
        block = open_blocks.get(key)
        if block is None:
            master = masters[e.account_id]
            reference = (
                f"IMP-{master.number}-{e.trade_date:%Y%m%d}-{e.side.upper()}-{e.instrument_id}"
            )
            if Block.objects.filter(reference=reference).exists():
                reference = block_reference_new(trade_date=e.trade_date)
            block = open_blocks[key] = Block.objects.create(
                reference=reference,
                master_id=e.account_id,
                instrument_id=e.instrument_id,
                side=e.side,
                trade_date=e.trade_date,
            )
            opened.append(block.reference)
        fills.append(
            BlockFill(
                block=block,
                entry=entries.get(e.execution_id),
                execution_id=e.execution_id,
                quantity=e.quantity,
                price=e.price,
                commission=e.commission,
                fees=e.fees,
                executed_at=_imported_at(e.trade_date, now),
            )
        )
    BlockFill.objects.bulk_create(fills)
    audit_record(
        actor=None,
        action="allocation.fills_imported",
        target=f"blocks:{len(open_blocks)}",
        details={"fills": len(fills), "blocks_opened": opened[:50]},
    )
    return len(fills)


def blocks_from_import(executions) -> None:
    """The subscriber of `ledger.imports.hooks`: the imported master executions of each tenant
    become block fills in that tenant's schema (the import runs in the public one)."""
    from django_tenants.utils import tenant_context

    from tenants.models import Tenant

    tenant_ids = {e.tenant_id for e in executions}
    for tenant in Tenant.objects.filter(pk__in=tenant_ids).order_by("pk"):
        with tenant_context(tenant):
            blocks_from_master_executions(tenant=tenant, executions=executions)
