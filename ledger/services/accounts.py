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
    is_paper: bool = False,
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
        is_paper=is_paper,
    )
    account.full_clean()
    account.save()
    return account


def account_lock(*, tenant, account: Account) -> None:
    """Lock the tenant's account row until the transaction ends, so that checks made against
    its cash by concurrent requests (withdrawal requests, transfers) run one after another."""
    Account.objects.select_for_update().filter(pk=account.pk, tenant_id=tenant.pk).first()


# Moves a staff member may make on an account's status: closing is final.
STATUS_MOVES = {
    Account.Status.OPEN: {Account.Status.RESTRICTED, Account.Status.CLOSED},
    Account.Status.RESTRICTED: {Account.Status.OPEN, Account.Status.CLOSED},
    Account.Status.CLOSED: set(),
}


def account_balances_nonzero(*, account: Account) -> list[str]:
    """What the account still holds, as readable lines (cash per currency, positions): empty
    when every balance is zero. Two queries."""
    from ledger.models import CashBalance, Position

    held = [
        f"{quantity.normalize():f} {currency} cash"
        for currency, quantity in CashBalance.objects.filter(account=account)
        .exclude(quantity=0)
        .order_by("currency")
        .values_list("currency", "quantity")
    ]
    held += [
        f"{quantity.normalize():f} {symbol}"
        for symbol, quantity in Position.objects.filter(account=account)
        .exclude(quantity=0)
        .order_by("instrument__symbol")
        .values_list("instrument__symbol", "quantity")
    ]
    return held


@transaction.atomic
def account_status_set(*, tenant, account: Account, status: str) -> Account:
    """Restrict, reopen or close the tenant's account. Closing is refused while the account (or,
    for a master, any of its sub-accounts still open) holds cash or positions; a closed account
    stays closed. The row is locked, so a booking cannot slip in between the check and the
    change."""
    locked = Account.objects.select_for_update().filter(pk=account.pk, tenant_id=tenant.pk).first()
    if locked is None:
        raise LedgerError("No such account.")
    if status not in Account.Status.values:
        raise LedgerError(f"Unknown account status {status!r}.")
    if status == locked.status:
        return locked
    if status not in STATUS_MOVES[locked.status]:
        raise LedgerError(
            f"Account {locked.number} is {locked.get_status_display().lower()}; "
            f"it cannot become {Account.Status(status).label.lower()}."
        )
    if status == Account.Status.CLOSED:
        held = account_balances_nonzero(account=locked)
        if held:
            raise LedgerError(
                f"Account {locked.number} cannot be closed while it holds " + ", ".join(held) + "."
            )
        if locked.subs.exclude(status=Account.Status.CLOSED).exists():
            raise LedgerError(
                f"Advisor master {locked.number} cannot be closed while sub-accounts are open."
            )
    locked.status = status
    locked.save(update_fields=["status"])
    return locked
