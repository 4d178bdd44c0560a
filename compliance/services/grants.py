"""Grants of account permissions (django-guardian object permissions) to tenant users."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from guardian.shortcuts import assign_perm, remove_perm

from ledger.access import NEEDS, PERMISSION_CODENAMES
from ledger.models import Account

from .audit import audit_record


def _checked(*, accounts: Iterable[Account], perms: list[str], tenant) -> list[Account]:
    unknown = sorted(set(perms) - set(NEEDS))
    if unknown or not perms:
        raise ValidationError({"perms": f"Unknown or no permissions: {unknown or perms}."})
    accounts = list(accounts)
    if not accounts:
        raise ValidationError({"accounts": "No accounts given."})
    foreign = [a.number for a in accounts if tenant is None or a.tenant_id != tenant.pk]
    if foreign:
        # Same wording as a missing account: nothing is revealed about other tenants.
        raise ValidationError({"accounts": "No such account."})
    return accounts


def _current_tenant():
    tenant = getattr(connection, "tenant", None)
    return None if tenant is None or tenant.schema_name == "public" else tenant


@transaction.atomic
def grant_add(
    *,
    actor,
    user,
    accounts: Iterable[Account],
    perms: list[str],
    ip: str | None = None,
    tenant=None,
) -> list[Account]:
    """Grant `perms` (of view/trade/fund/report) on each account to `user`. Viewing is implied
    by every other right, so it is always granted too. A grant on a master covers its subs."""
    tenant = tenant or _current_tenant()
    accounts = _checked(accounts=accounts, perms=perms, tenant=tenant)
    granted = sorted({"view", *perms}, key=NEEDS.index)
    for account in accounts:
        for need in granted:
            assign_perm(f"ledger.{PERMISSION_CODENAMES[need]}", user, account)
    audit_record(
        actor=actor,
        action="access.grant",
        target=f"user:{user.get_username()}",
        details={"accounts": [a.number for a in accounts], "perms": granted},
        ip=ip,
    )
    return accounts


@transaction.atomic
def grant_remove(
    *,
    actor,
    user,
    accounts: Iterable[Account],
    perms: list[str],
    ip: str | None = None,
    tenant=None,
) -> list[Account]:
    """Revoke `perms` on each account from `user`. Revoking view revokes everything."""
    tenant = tenant or _current_tenant()
    accounts = _checked(accounts=accounts, perms=perms, tenant=tenant)
    revoked = list(NEEDS) if "view" in perms else sorted(set(perms), key=NEEDS.index)
    for account in accounts:
        for need in revoked:
            remove_perm(f"ledger.{PERMISSION_CODENAMES[need]}", user, account)
    audit_record(
        actor=actor,
        action="access.revoke",
        target=f"user:{user.get_username()}",
        details={"accounts": [a.number for a in accounts], "perms": revoked},
        ip=ip,
    )
    return accounts
