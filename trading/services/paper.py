"""Paper accounts: a client's simulated account, opened on request with the firm's paper cash,
trading on the simulated venue. It is a ledger account flagged `is_paper`, so its bookings go
through the ledger's own paths, and it is left out of statements, exception reports and the
firm's figures."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from compliance.services import audit_record, grant_add
from ledger.access import accounts_visible_list
from ledger.models import Account
from ledger.services import account_open
from ledger.services.cash import cash_deposit

from ..models import AccountProducts
from ..selectors import account_products, trading_settings

PAPER_PERMS = ["view", "trade"]


def paper_account_for(*, user, tenant) -> Account | None:
    for account in accounts_visible_list(user=user, tenant=tenant):
        if account.is_paper:
            return account
    return None


@transaction.atomic
def paper_account_open(*, user, tenant, ip: str | None = None) -> Account:
    """The client's paper account, opened once (a second request returns the same account):
    in the base currency and margin type of the client's first real account, seeded with the
    firm's paper cash, with the same product permissions, and granted to the client to view
    and trade (no funding: paper money neither comes in nor goes out)."""
    existing = paper_account_for(user=user, tenant=tenant)
    if existing is not None:
        return existing
    real = [a for a in accounts_visible_list(user=user, tenant=tenant) if not a.is_paper]
    if not real:
        raise ValidationError("A paper account is opened for clients with an account.")
    model = real[0]
    name = user.get_full_name() or user.get_username()
    account = account_open(
        tenant=tenant,
        title=f"{name} (paper)",
        account_type=Account.Type.INDIVIDUAL,
        base_currency=model.base_currency,
        margin_type=model.margin_type,
        external_ref=f"paper:{user.pk}",
        is_paper=True,
    )
    products = account_products(account_id=model.pk)
    AccountProducts.objects.create(
        account=account,
        stocks=products.stocks,
        options_level=products.options_level,
        futures=products.futures,
        fx=products.fx,
        crypto=products.crypto,
    )
    grant_add(actor=None, user=user, accounts=[account], perms=PAPER_PERMS, tenant=tenant)
    amount = trading_settings().paper_starting_cash
    cash_deposit(
        account=account,
        amount=amount,
        currency=account.base_currency,
        idempotency_key=f"paper-seed-{account.number}",
        memo="Paper money",
    )
    audit_record(
        actor=user,
        action="paper_account_open",
        target=account.number,
        details={"cash": str(amount), "currency": account.base_currency},
        ip=ip,
    )
    return account
