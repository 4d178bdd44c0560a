"""Factories for trading tests: a client with a funded account and trade rights, instruments
with a close today. Call inside `tenant_context(tenant)`."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from ledger.models import Instrument, Price
from ledger.services import cash_deposit
from tests.support.clientportal import account_for_client, client_user_make

from ..models import TradingSettings
from ..services import Ticket

_seq = itertools.count(1)


def trader_make(tenant, *, cash: Decimal = Decimal("10000"), margin_type: str = "cash"):
    """A client login with one account (view, fund, trade) holding `cash` USD, settled."""
    n = next(_seq)
    user = client_user_make(username=f"trader{n}-{tenant.schema_name}")
    account = account_for_client(tenant=tenant, user=user, perms=("view", "fund", "trade"))
    if margin_type != "cash":
        type(account).objects.filter(pk=account.pk).update(margin_type=margin_type)
        account.margin_type = margin_type
    if cash:
        cash_deposit(
            account=account,
            amount=cash,
            currency="USD",
            idempotency_key=f"trader-{account.number}",
            value_date=timezone.localdate() - timedelta(days=7),
        )
    return user, account


def stock_make(close: Decimal | str = "100", *, asset_class: str = "STK", **extra) -> Instrument:
    n = next(_seq)
    instrument = Instrument.objects.create(
        symbol=extra.pop("symbol", f"TRD{n:04d}"),
        asset_class=asset_class,
        currency="USD",
        exchange=extra.pop("exchange", "NYSE"),
        **extra,
    )
    Price.objects.create(instrument=instrument, date=timezone.localdate(), close=Decimal(close))
    return instrument


def ticket(account, instrument, **kwargs) -> Ticket:
    kwargs.setdefault("side", "buy")
    kwargs.setdefault("quantity", Decimal(10))
    kwargs.setdefault("time_in_force", "gtc")
    return Ticket(account_id=account.pk, instrument_id=instrument.pk, **kwargs)


def bracket_submit(user, tenant, account, instrument, *, limit: str, take: str, stop: str):
    """A limit buy of 10 with its take-profit and stop-loss children, submitted."""
    from ..services import order_submit

    return order_submit(
        user=user,
        tenant=tenant,
        ticket=ticket(
            account,
            instrument,
            order_type="limit",
            limit_price=Decimal(limit),
            take_profit_price=Decimal(take),
            stop_loss_price=Decimal(stop),
        ),
    )


def settings_set(**values) -> TradingSettings:
    settings = TradingSettings.load()
    for name, value in values.items():
        setattr(settings, name, value)
    settings.save()
    return settings
