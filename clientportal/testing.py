"""Portal fixtures shared by unit tests, browser tests and the load test: a client login with
accounts, cash and positions in the shared ledger. Call inside `tenant_context(tenant)`."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from guardian.shortcuts import assign_perm

from ledger.models import Account, Instrument, Price
from ledger.services import account_open, cash_deposit, trade_book
from tenants.roles import CLIENT


def client_user_make(*, username: str, password: str | None = None):
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@example.test",
        password=password,
        first_name="Casey",
        last_name="Client",
    )
    group, _ = Group.objects.get_or_create(name=CLIENT)
    user.groups.add(group)
    return user


def account_for_client(
    *,
    tenant,
    user,
    title: str = "Casey Client",
    account_type: str = "individual",
    perms: tuple[str, ...] = ("view", "fund"),
    base_currency: str = "USD",
) -> Account:
    account = account_open(
        tenant=tenant, title=title, account_type=account_type, base_currency=base_currency
    )
    for need in perms:
        assign_perm(f"ledger.{need}_account", user, account)
    return account


def instruments_make(*, prefix: str, count: int, asset_class: str = "STK") -> list[Instrument]:
    """`count` instruments with closes today (100 + i) and yesterday (99 + i)."""
    instruments = Instrument.objects.bulk_create(
        Instrument(symbol=f"{prefix}{i:04d}", asset_class=asset_class, currency="USD")
        for i in range(count)
    )
    today = timezone.localdate()
    Price.objects.bulk_create(
        [
            Price(instrument=inst, date=day, close=Decimal(100 + i) - offset)
            for i, inst in enumerate(instruments)
            for day, offset in ((today, Decimal(0)), (today - timedelta(days=1), Decimal(1)))
        ]
    )
    return instruments


def account_fund_and_buy(
    *,
    account: Account,
    cash: Decimal,
    instruments: list[Instrument],
    quantity: Decimal,
    price: Decimal,
    key: str,
) -> None:
    """Deposit `cash` (settled) and buy `quantity` of each instrument at `price` ten days ago."""
    booked_on = timezone.localdate() - timedelta(days=10)
    cash_deposit(
        account=account,
        amount=cash,
        currency="USD",
        idempotency_key=f"{key}:deposit",
        value_date=booked_on,
    )
    for index, instrument in enumerate(instruments):
        trade_book(
            account=account,
            instrument=instrument,
            side="BUY",
            quantity=quantity,
            price=price,
            trade_date=booked_on,
            idempotency_key=f"{key}:buy:{index}",
            commission=Decimal("1.00"),
        )
