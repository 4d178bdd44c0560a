"""Factories for allocation tests: a master with subs, granted users, a block with fills."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model

from allocations.services import block_create, block_fill_add, group_create
from allocations.services.groups import MemberSpec
from compliance.services.grants import grant_add
from ledger.services import account_open
from ledger.tests.factories import instrument_make

_seq = itertools.count(1)
TRADE_DATE = date(2026, 11, 20)


def user_make(tenant, *, name: str | None = None):
    username = name or f"advisor-{uuid.uuid4().hex[:8]}"
    return get_user_model().objects.create_user(username=username, email=f"{username}@test.test")


def grant(user, tenant, accounts, perms=("trade",)):
    grant_add(actor=None, user=user, accounts=accounts, perms=list(perms), tenant=tenant)


def master_with_subs(tenant, count: int, *, margin_type="reg_t"):
    master = account_open(tenant=tenant, title="Advisor master", account_type="master")
    subs = [
        account_open(
            tenant=tenant,
            title=f"Client {i + 1}",
            account_type="sub",
            parent=master,
            margin_type=margin_type,
        )
        for i in range(count)
    ]
    return master, subs


def group_make(user, tenant, master, subs, *, method="equal", values=None, **kwargs):
    values = values or [None] * len(subs)
    members = [
        MemberSpec(account=sub, priority=100, value=None if v is None else Decimal(v))
        for sub, v in zip(subs, values, strict=True)
    ]
    return group_create(
        actor=user,
        tenant=tenant,
        name=kwargs.pop("name", f"Group {next(_seq)}"),
        master=master,
        method=method,
        members=members,
        **kwargs,
    )


def block_make(user, tenant, master, group, *, side="buy", instrument=None, fills=()):
    instrument = instrument or instrument_make(f"X{uuid.uuid4().hex[:8].upper()}")
    block = block_create(
        actor=user,
        tenant=tenant,
        master=master,
        instrument=instrument,
        side=side,
        trade_date=TRADE_DATE,
        reference=f"BLK-{uuid.uuid4().hex[:10]}",
        group=group,
    )
    for quantity, price, commission in fills:
        fill_add(user, tenant, block, quantity, price, commission)
    return block


def fill_add(user, tenant, block, quantity, price, commission="0"):
    return block_fill_add(
        actor=user,
        tenant=tenant,
        block=block,
        execution_id=f"EX-{uuid.uuid4().hex[:12]}",
        quantity=Decimal(quantity),
        price=Decimal(price),
        commission=Decimal(commission),
        executed_at=datetime(2026, 11, 20, 15, next(_seq) % 60, tzinfo=UTC),
    )
