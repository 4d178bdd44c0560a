"""Advisors' orders for an allocation group: one order on the group's master; its fills become
the group's block (`allocations.services.block_create` / `block_fill_add`, which attach the
executions already booked in the master rather than booking them again), and once the order
is done the advisor allocates the block by the group's method and books it in one step
(`allocations.services.allocation_preview` then `allocation_book`).

The master holds no money of its own: an order for a group is paid by its members, so its
buying power is theirs together (`group_buying_power_check`); each member's own cash or
buying power is checked again when the allocation is previewed and booked."""

from __future__ import annotations

from contextvars import ContextVar
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from allocations.access import access_group, trade_check
from allocations.models import Allocation, Block, BlockFill
from allocations.services import allocation_book, allocation_preview, block_create, block_fill_add
from compliance.services.audit import audit_record
from ledger.models import Account
from ledger.selectors import accounts_for, valuations_for_accounts

from .checks import pre_trade_check
from .group_order_models import GroupOrder
from .intent import CheckResult, OrderIntent, Side
from .states import OPEN

# The group an order is being submitted for (set by `group_order_submit` around the checks).
_GROUP: ContextVar[int | None] = ContextVar("trading_group_order", default=None)
CENT = Decimal("0.01")


def _member_ids(group) -> list[int]:
    return list(group.members.values_list("account_id", flat=True))


@pre_trade_check
def group_buying_power_check(intent: OrderIntent) -> list[CheckResult]:
    """A purchase in an advisor master is paid by the group's members (every sub-account, for
    an order without a group): their buying power together, less what the master's open buy
    orders already hold."""
    from allocations.models import AllocationGroup

    from .facts import facts

    f = facts(intent)
    if f.account is None or f.instrument is None or f.account.account_type != Account.Type.MASTER:
        return []
    if intent.side not in (Side.BUY, Side.BUY_TO_COVER):
        return []
    group_id = _GROUP.get()
    group = AllocationGroup.objects.filter(pk=group_id, master_id=f.account.pk).first()
    if group is not None:
        members = _member_ids(group)
    else:
        members = list(
            accounts_for(tenant=f.tenant)
            .filter(parent_id=f.account.pk)
            .values_list("pk", flat=True)
        )
    fx = f.fx_to_base
    if fx is None:
        return []  # the buying-power check names the missing rate
    valuations = valuations_for_accounts(tenant=f.tenant, account_ids=members, with_positions=False)
    buying_power = sum((v.buying_power for v in valuations.values()), Decimal(0))
    reserved = f.reserved_by_open_orders * fx
    cost = (f.value + f.commission) * fx
    available = buying_power - reserved
    if cost <= available:
        return []
    who = f"group {group.name}" if group is not None else f"the sub-accounts of {f.account.number}"
    return [
        CheckResult(
            "group_buying_power",
            CheckResult.BLOCK,
            f"The order costs {cost.quantize(CENT)} {f.account.base_currency} with commission; "
            f"{who} can pay {available.quantize(CENT)} (buying power "
            f"{buying_power.quantize(CENT)}, of which open orders hold {reserved.quantize(CENT)}).",
            {
                "cost": cost.quantize(CENT),
                "buying_power": buying_power.quantize(CENT),
                "reserved": reserved.quantize(CENT),
                "available": available.quantize(CENT),
            },
        )
    ]


@transaction.atomic
def group_order_submit(
    *, user, tenant, group_id, ticket_fields: dict, confirmed=(), ip: str | None = None
) -> GroupOrder:
    """Place an order on the group's master for the group (the advisor may trade in the master
    and every member). The order goes through every pre-trade check; a rejected order is kept
    with its reasons like any other."""
    from .services import Ticket, order_submit

    group = access_group(user=user, tenant=tenant, group_id=group_id)
    trade_check(user=user, tenant=tenant, master_id=group.master_id, account_ids=_member_ids(group))
    if ticket_fields.get("side") not in (Side.BUY, Side.SELL):
        raise ValidationError({"side": "A group order buys or sells."})
    ticket = Ticket(account_id=group.master_id, **ticket_fields)
    token = _GROUP.set(group.pk)
    try:
        order = order_submit(user=user, tenant=tenant, ticket=ticket, confirmed=confirmed)
    finally:
        _GROUP.reset(token)
    group_order = GroupOrder.objects.create(order=order, group=group, created_by=user)
    audit_record(
        actor=user,
        action="trading.group_order_submit",
        target=f"order:{order.pk}",
        details={"group": group.name, "master": group.master.number, "status": order.status},
        ip=ip,
    )
    return group_order


def access_group_order(*, user, tenant, group_order_id) -> GroupOrder:
    """The group order if `user` may trade in its master: one 404 for missing and not yours."""
    try:
        pk = int(group_order_id)
    except (TypeError, ValueError):
        raise Http404("No such group order.") from None
    group_order = (
        GroupOrder.objects.select_related("order", "order__instrument", "group", "group__master")
        .filter(pk=pk, order__account__tenant_id=tenant.pk)
        .first()
    )
    if group_order is None:
        raise Http404("No such group order.")
    try:
        access_group(user=user, tenant=tenant, group_id=group_order.group_id)
    except Http404:
        raise Http404("No such group order.") from None
    return group_order


def group_order_block_sync(*, actor, tenant, group_order: GroupOrder) -> Block | None:
    """Every fill of the order becomes a fill of the group's block (opened with the first),
    once: the executions are already in the master, so the block attaches them."""
    order = group_order.order
    fills = list(order.fills.order_by("executed_at", "id"))
    if not fills:
        return group_order.block
    block = group_order.block
    if block is None:
        block = block_create(
            actor=actor,
            tenant=tenant,
            master=group_order.group.master,
            instrument=order.instrument,
            side=Block.Side.BUY if order.side == Side.BUY else Block.Side.SELL,
            trade_date=timezone.localdate(fills[0].executed_at),
            reference=f"ORD-{connection.schema_name}-{order.pk}",
            group=group_order.group,
        )
        group_order.block = block
        group_order.save(update_fields=["block"])
    taken = set(
        BlockFill.objects.filter(execution_id__in=[f.execution_id for f in fills]).values_list(
            "execution_id", flat=True
        )
    )
    for fill in fills:
        if fill.execution_id in taken:
            continue
        block_fill_add(
            actor=actor,
            tenant=tenant,
            block=block,
            execution_id=fill.execution_id,
            quantity=fill.quantity,
            price=fill.price,
            executed_at=fill.executed_at,
            commission=fill.commission,
        )
    return block


@transaction.atomic
def group_order_allocate(*, actor, tenant, group_order_id, ip: str | None = None) -> GroupOrder:
    """The advisor's one step once the order is done: its fills into the group's block, the
    block allocated by the group's method and booked. Refused (nothing written) while the
    order still works, without fills, or when it was allocated before."""
    found = access_group_order(user=actor, tenant=tenant, group_order_id=group_order_id)
    group_order = GroupOrder.objects.select_for_update().get(pk=found.pk)
    group_order.order, group_order.group = found.order, found.group
    order = found.order
    trade_check(
        user=actor,
        tenant=tenant,
        master_id=found.group.master_id,
        account_ids=_member_ids(found.group),
    )
    if group_order.allocation_id is not None:
        raise ValidationError(
            f"Order #{order.pk} was allocated on {group_order.allocated_at:%Y-%m-%d %H:%M}."
        )
    if order.status in OPEN:
        raise ValidationError(
            f"Order #{order.pk} is still {order.get_status_display().lower()}; allocate it once "
            "it is filled or cancelled."
        )
    if not order.filled_quantity:
        raise ValidationError(f"Order #{order.pk} has no fills to allocate.")
    block = group_order_block_sync(actor=actor, tenant=tenant, group_order=group_order)
    allocation = allocation_preview(user=actor, tenant=tenant, block=block)
    allocation = allocation_book(user=actor, tenant=tenant, allocation=allocation)
    group_order.allocation = allocation
    group_order.allocated_by = actor
    group_order.allocated_at = timezone.now()
    group_order.save(update_fields=["allocation", "allocated_by", "allocated_at"])
    audit_record(
        actor=actor,
        action="trading.group_order_allocate",
        target=f"order:{order.pk}",
        details={"block": block.reference, "allocation": allocation.reference},
        ip=ip,
    )
    return group_order


def group_order_fixml(*, group_order: GroupOrder, out) -> int:
    """The booked allocation of the group order as FIXML 5.0 SP2 `AllocInstrctn`."""
    from allocations.selectors import allocations_fixml_write

    return allocations_fixml_write(
        out=out, allocations=Allocation.objects.filter(pk=group_order.allocation_id)
    )
