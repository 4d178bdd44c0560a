"""Margin accounts for the margin and day-trade tests: a Reg T account funded and holding
stock bought on margin, in the shared ledger. Call inside `tenant_context(tenant)`."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from guardian.shortcuts import assign_perm

from ledger.services import account_open, cash_deposit, trade_book
from ledger.tests.factories import instrument_make, price_set
from tests.support.clientportal import client_user_make


def stock_make(*, on: date, close: str):
    instrument = instrument_make(f"M{uuid.uuid4().hex[:8].upper()}")
    price_set(instrument, on, close)
    return instrument


def margin_account_make(tenant, *, cash: str, on: date, margin_type: str = "reg_t", client=None):
    account = account_open(
        tenant=tenant, title="Margin client", account_type="individual", margin_type=margin_type
    )
    if client is not None:
        assign_perm("ledger.view_account", client, account)
    cash_deposit(
        account=account,
        amount=Decimal(cash),
        currency="USD",
        idempotency_key=f"dep:{uuid.uuid4().hex}",
        value_date=on,
    )
    return account


def client_make():
    return client_user_make(username=f"client-{uuid.uuid4().hex[:8]}")


def trade(account, instrument, side: str, quantity, price, on: date):
    return trade_book(
        account=account,
        instrument=instrument,
        side=side,
        quantity=Decimal(quantity),
        price=Decimal(price),
        trade_date=on,
        idempotency_key=f"trade:{uuid.uuid4().hex}",
        execution_id=f"EX-{uuid.uuid4().hex[:16]}",
    )
