"""Allocation groups: a master's sub-accounts with a method, priorities and a rounding step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from allocations.access import trade_check
from allocations.engine import Method
from allocations.models import AllocationGroup, AllocationGroupMember
from allocations.services.errors import AllocationRefused
from compliance.services.audit import audit_record
from ledger.models import Account

NEEDS_VALUE = {
    Method.PERCENTAGES,
    Method.RATIOS,
    Method.FIXED_SHARES,
    Method.CASH_AMOUNT,
}


@dataclass(frozen=True)
class MemberSpec:
    account: Account
    priority: int = 100
    value: Decimal | None = None


def _validate(*, tenant, master: Account, method: str, step, pct, members: Sequence[MemberSpec]):
    if master.tenant_id != tenant.pk or master.account_type != Account.Type.MASTER:
        raise AllocationRefused(f"{master.number} is not an advisor master of this firm.")
    try:
        method = Method(method)
    except ValueError:
        raise AllocationRefused(f"Unknown allocation method {method!r}.") from None
    if Decimal(step) <= 0:
        raise AllocationRefused("The lot size / fraction step must be positive.")
    if method is Method.PCT_CHANGE and not pct:
        raise AllocationRefused("% change of position needs a non-zero percentage.")
    if not members:
        raise AllocationRefused("A group needs at least one sub-account.")
    numbers = [m.account.number for m in members]
    if len(set(numbers)) != len(numbers):
        raise AllocationRefused("A sub-account appears twice in the group.")
    strangers = [m.account.number for m in members if m.account.parent_id != master.pk]
    if strangers:
        raise AllocationRefused(f"Not sub-accounts of {master.number}: {', '.join(strangers)}.")
    if method in NEEDS_VALUE:
        missing = [m.account.number for m in members if m.value is None or m.value < 0]
        if missing:
            raise AllocationRefused(f"{method.label} needs a value for {', '.join(missing)}.")
    if method is Method.PERCENTAGES and sum(m.value for m in members) != 100:
        raise AllocationRefused("Percentages must sum to 100.")
    return method


def _members_store(group: AllocationGroup, members: Sequence[MemberSpec]) -> None:
    AllocationGroupMember.objects.bulk_create(
        AllocationGroupMember(group=group, account=m.account, priority=m.priority, value=m.value)
        for m in members
    )


@transaction.atomic
def group_create(
    *,
    actor,
    tenant,
    name: str,
    master: Account,
    method: str,
    members: Sequence[MemberSpec],
    step: Decimal = Decimal(1),
    pct: Decimal | None = None,
    users: Sequence = (),
) -> AllocationGroup:
    method = _validate(
        tenant=tenant, master=master, method=method, step=step, pct=pct, members=members
    )
    trade_check(
        user=actor, tenant=tenant, master_id=master.pk, account_ids=[m.account.pk for m in members]
    )
    group = AllocationGroup(name=name, master=master, method=method, step=step, pct=pct)
    group.full_clean()
    group.save()
    _members_store(group, members)
    group.users.set(users)
    audit_record(
        actor=actor,
        action="allocation.group_create",
        target=f"allocation_group:{group.pk}",
        details={"name": name, "master": master.number, "method": method, "members": len(members)},
    )
    return group


@transaction.atomic
def group_update(
    *,
    actor,
    tenant,
    group: AllocationGroup,
    name: str,
    method: str,
    members: Sequence[MemberSpec],
    step: Decimal = Decimal(1),
    pct: Decimal | None = None,
    users: Sequence = (),
) -> AllocationGroup:
    """Replace the group's settings and members. Allocations already made keep their own copy
    of method, step and quantities, so they are unaffected."""
    group = AllocationGroup.objects.select_for_update().get(pk=group.pk)
    method = _validate(
        tenant=tenant, master=group.master, method=method, step=step, pct=pct, members=members
    )
    trade_check(
        user=actor,
        tenant=tenant,
        master_id=group.master_id,
        account_ids=[m.account.pk for m in members],
    )
    group.name, group.method, group.step, group.pct = name, method, step, pct
    group.full_clean()
    group.save(update_fields=["name", "method", "step", "pct"])
    group.members.all().delete()
    _members_store(group, members)
    group.users.set(users)
    audit_record(
        actor=actor,
        action="allocation.group_update",
        target=f"allocation_group:{group.pk}",
        details={"name": name, "method": method, "members": len(members)},
    )
    return group
