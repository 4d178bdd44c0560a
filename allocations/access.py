"""Fetch-and-check for allocation objects reached from request input, and the trade check.

Groups, blocks and allocations are visible to a user who may view their master account (through
`ledger.access`); anything else — missing, another tenant's, not granted — is the same 404.
Acting (editing a group, booking, reversing) needs trade permission on the master and on every
sub-account involved; a viewer gets PermissionDenied naming the accounts.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.http import Http404

from allocations.models import Allocation, AllocationGroup, Block
from ledger.access import accounts_visible
from ledger.selectors import accounts_for


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("Not found.") from None


def _visible_masters(*, user, tenant):
    return accounts_visible(user=user, tenant=tenant, need="view").values("pk")


def access_group(*, user, tenant, group_id) -> AllocationGroup:
    group = (
        AllocationGroup.objects.filter(master__in=_visible_masters(user=user, tenant=tenant))
        .select_related("master")
        .filter(pk=_int(group_id))
        .first()
    )
    if group is None:
        raise Http404("No such allocation group.")
    return group


def access_block(*, user, tenant, block_id) -> Block:
    block = (
        Block.objects.filter(master__in=_visible_masters(user=user, tenant=tenant))
        .select_related("master", "instrument", "group")
        .filter(pk=_int(block_id))
        .first()
    )
    if block is None:
        raise Http404("No such block.")
    return block


def access_allocation(*, user, tenant, allocation_id) -> Allocation:
    allocation = (
        Allocation.objects.filter(block__master__in=_visible_masters(user=user, tenant=tenant))
        .select_related("block", "block__master", "block__instrument", "group")
        .filter(pk=_int(allocation_id))
        .first()
    )
    if allocation is None:
        raise Http404("No such allocation.")
    return allocation


def trade_check(*, user, tenant, master_id: int, account_ids: Iterable[int]) -> None:
    """PermissionDenied unless `user` may trade in the master and in every one of the accounts."""
    wanted = {master_id, *account_ids}
    allowed = set(
        accounts_visible(user=user, tenant=tenant, need="trade")
        .filter(pk__in=list(wanted))
        .values_list("pk", flat=True)
    )
    missing = wanted - allowed
    if missing:
        numbers = sorted(
            accounts_for(tenant=tenant, account_ids=missing).values_list("number", flat=True)
        )
        shown = ", ".join(numbers[:10]) + (
            f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
        )
        raise PermissionDenied(f"You may not trade in {shown}.")


def group_usable(*, user, group: AllocationGroup) -> bool:
    """A group limited to some users may be used by those users only."""
    limited = group.users.exists()
    return not limited or group.users.filter(pk=user.pk).exists()
