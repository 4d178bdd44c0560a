"""Blocks: executions of a block order in a master account, booked through the ledger."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction

from allocations.access import trade_check
from allocations.models import AllocationGroup, Block, BlockFill
from allocations.services.errors import AllocationRefused
from compliance.services.audit import audit_record
from ledger.models import Account, Instrument, JournalEntry
from ledger.selectors import execution_entry_for
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
    reference: str,
    group: AllocationGroup | None = None,
) -> Block:
    if master.tenant_id != tenant.pk or master.account_type != Account.Type.MASTER:
        raise AllocationRefused(f"{master.number} is not an advisor master of this firm.")
    if group is not None and group.master_id != master.pk:
        raise AllocationRefused(f"Group {group.name} belongs to another master.")
    trade_check(user=actor, tenant=tenant, master_id=master.pk, account_ids=[])
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
    if BlockFill.objects.filter(execution_id=execution_id).exists():
        raise AllocationRefused(f"Execution {execution_id} is already a fill of a block.")
    quantity, price = Decimal(quantity), Decimal(price)
    if quantity <= 0:
        raise AllocationRefused("A fill has a positive quantity.")
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
