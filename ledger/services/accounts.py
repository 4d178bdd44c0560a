"""Opening ledger accounts for a tenant, and the account lock that serialises a client's
money requests."""

from __future__ import annotations

from django.db import connection, transaction

from ledger.errors import LedgerError
from ledger.models import Account
from ledger.reference import validate_currency


def account_number_next(*, prefix: str, count: int = 1) -> list[str]:
    """Readable account numbers: `U` + 7 digits (clients, subs), `F` + 7 digits (masters)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval('ledger_account_number_seq') FROM generate_series(1, %s)", [count]
        )
        return [f"{prefix}{value:07d}" for (value,) in cursor.fetchall()]


@transaction.atomic
def account_open(
    *,
    tenant,
    title: str,
    account_type: str,
    base_currency: str = "USD",
    margin_type: str = Account.MarginType.CASH,
    parent: Account | None = None,
    external_ref: str = "",
) -> Account:
    validate_currency(base_currency)
    if account_type == Account.Type.PLATFORM:
        raise LedgerError("Platform accounts are not opened for tenants.")
    if parent is not None:
        if parent.account_type != Account.Type.MASTER:
            raise LedgerError(f"Account {parent.number} is not an advisor master.")
        if parent.tenant_id != tenant.pk:
            raise LedgerError("A sub-account belongs to its master's tenant.")
        account_type = Account.Type.SUB
    elif account_type == Account.Type.SUB:
        raise LedgerError("A sub-account needs its master.")
    prefix = "F" if account_type == Account.Type.MASTER else "U"
    account = Account(
        tenant=tenant,
        number=account_number_next(prefix=prefix)[0],
        title=title,
        account_type=account_type,
        base_currency=base_currency,
        margin_type=margin_type,
        parent=parent,
        external_ref=external_ref,
    )
    account.full_clean()
    account.save()
    return account


def account_lock(*, tenant, account: Account) -> None:
    """Lock the tenant's account row until the transaction ends, so that checks made against
    its cash by concurrent requests (withdrawal requests, transfers) run one after another."""
    Account.objects.select_for_update().filter(pk=account.pk, tenant_id=tenant.pk).first()
