"""Factories for ledger tests."""

import itertools
from decimal import Decimal

from ledger.models import FxRate, Instrument, Price
from ledger.services import account_open

_seq = itertools.count(1)


def instrument_make(symbol=None, *, currency="USD", asset_class="STK", multiplier=1, **extra):
    n = next(_seq)
    return Instrument.objects.create(
        symbol=symbol or f"T{n:04d}",
        asset_class=asset_class,
        currency=currency,
        multiplier=Decimal(multiplier),
        **extra,
    )


def price_set(instrument, on, close):
    Price.objects.update_or_create(
        instrument=instrument, date=on, defaults={"close": Decimal(close)}
    )


def fx_set(currency, on, usd_per_unit):
    FxRate.objects.update_or_create(
        currency=currency, date=on, defaults={"usd_per_unit": Decimal(usd_per_unit)}
    )


def account_make(tenant, *, margin_type="cash", base_currency="USD", title="Test client"):
    return account_open(
        tenant=tenant,
        title=title,
        account_type="individual",
        margin_type=margin_type,
        base_currency=base_currency,
    )
