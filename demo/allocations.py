"""Demo allocations in both demo tenants: the advisor's desk (a master with sub-accounts), its
groups and blocks; see `allocations_demo_seed`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context

from allocations.models import AllocationGroup
from allocations.services import (
    allocation_book,
    allocation_preview,
    block_create,
    block_fill_add,
    group_create,
)
from allocations.services.groups import MemberSpec
from compliance.services.grants import grant_add
from ledger.models import Account, Instrument, Price
from ledger.services import account_open, cash_deposit, instrument_settlement_rule


def _advisor(tenant):
    domain = tenant.get_primary_domain().domain.split(".")[0]
    return (
        get_user_model()
        .objects.filter(username__startswith="advisor@", username__contains=domain)
        .first()
    )


def _block(advisor, tenant, master, group, instrument, reference, fills, trade_date):
    block = block_create(
        actor=advisor,
        tenant=tenant,
        master=master,
        instrument=instrument,
        side="buy",
        trade_date=trade_date,
        reference=reference,
        group=group,
    )
    for n, (quantity, price) in enumerate(fills):
        block_fill_add(
            actor=advisor,
            tenant=tenant,
            block=block,
            execution_id=f"{reference}-{n + 1}",
            quantity=Decimal(quantity),
            price=price,
            commission=Decimal("1.00"),
            executed_at=datetime.combine(trade_date, datetime.min.time(), tzinfo=UTC)
            + timedelta(hours=14, minutes=n * 7),
        )
    return block


DESK_HOLDERS = ("Harriet Stone", "Marcus Chen", "Lucia Romano")
SHORT_HOLDER = "Owen Pryce"
DESK_DEPOSIT = Decimal("50000.00")
SHORT_DEPOSIT = Decimal("50.00")


def _desk(tenant, advisor, on):
    """The advisor's model-portfolio master with three funded sub-accounts and one that holds
    almost no cash (so one allocation is refused for want of cash)."""
    master = account_open(
        tenant=tenant,
        title=f"{tenant.name} Model Portfolios",
        account_type="master",
        margin_type="reg_t",
        external_ref=f"demo:{advisor.username}",
    )
    subs = []
    for holder, amount in (
        *((h, DESK_DEPOSIT) for h in DESK_HOLDERS),
        (SHORT_HOLDER, SHORT_DEPOSIT),
    ):
        sub = account_open(
            tenant=tenant,
            title=f"{holder} · Managed portfolio",
            account_type="sub",
            parent=master,
        )
        cash_deposit(
            account=sub,
            amount=amount,
            currency="USD",
            idempotency_key=f"demo-desk:{sub.number}",
            value_date=on,
            memo="Initial funding",
        )
        subs.append(sub)
    return master, subs


def allocations_demo_seed(*, tenant) -> None:
    """Both demo tenants: an advisor desk (a master with funded sub-accounts), a 50/30/20 model
    group over the funded ones and an equal group over all four; one block booked, one awaiting
    allocation that books, and one whose preview is refused for the short account's cash.
    Idempotent: a tenant that already has groups is left as it is."""
    with tenant_context(tenant):
        advisor = _advisor(tenant)
        if advisor is None or AllocationGroup.objects.exists():
            return
        instrument = Instrument.objects.filter(currency="USD").order_by("symbol")
        instrument = instrument.first() or Instrument.objects.order_by("symbol").first()
        if instrument is None:
            return
        close = Price.objects.filter(instrument=instrument).order_by("-date").first()
        price = close.close if close else Decimal(50)
        # The last trading day of the instrument's market: a hand-entered fill on a closed day
        # is refused.
        trade_day = instrument_settlement_rule(instrument).previous_business_day(
            timezone.localdate()
        )
        master, subs = _desk(tenant, advisor, trade_day - timedelta(days=7))
        masters = list(Account.objects.filter(tenant=tenant, account_type=Account.Type.MASTER))
        grant_add(actor=None, user=advisor, accounts=masters, perms=["trade"], tenant=tenant)
        everyone = group_create(
            actor=advisor,
            tenant=tenant,
            name="All clients, equal",
            master=master,
            method="equal",
            members=[MemberSpec(account=a, priority=100) for a in subs],
        )
        model = group_create(
            actor=advisor,
            tenant=tenant,
            name="Model 50/30/20",
            master=master,
            method="percentages",
            members=[
                MemberSpec(account=a, priority=n, value=Decimal(v))
                for n, (a, v) in enumerate(zip(subs, ("50", "30", "20"), strict=False), start=1)
            ],
        )
        booked = _block(
            advisor,
            tenant,
            master,
            model,
            instrument,
            f"DEMO-{tenant.schema_name}-1",
            [(6, price), (4, price + Decimal("0.10"))],
            trade_day,
        )
        allocation_book(
            user=advisor,
            tenant=tenant,
            allocation=allocation_preview(user=advisor, tenant=tenant, block=booked),
        )
        _block(
            advisor,
            tenant,
            master,
            model,
            instrument,
            f"DEMO-{tenant.schema_name}-2",
            [(10, price)],
            trade_day,
        )
        short = _block(
            advisor,
            tenant,
            master,
            everyone,
            instrument,
            f"DEMO-{tenant.schema_name}-3",
            [(40, price)],
            trade_day,
        )
        allocation_preview(user=advisor, tenant=tenant, block=short)
