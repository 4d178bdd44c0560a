"""Demo allocations: for each demo tenant with advisor masters, the advisor may trade in them,
one master has an equal group and a 50/30/20 model group, one block booked over the model
group and one block awaiting allocation (past the cut-off, so listed as an exception).
Idempotent: a tenant that already has groups is left as it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
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
from compliance.services.grants import access_grant
from ledger.models import Account, Instrument, Price
from ledger.services import instrument_settlement_rule


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


def allocations_demo_seed(*, tenant) -> None:
    masters = list(
        Account.objects.filter(tenant=tenant, account_type=Account.Type.MASTER).order_by("number")
    )
    master = next((m for m in masters if m.subs.count() >= 3), None)
    if master is None:
        return
    with tenant_context(tenant):
        advisor = _advisor(tenant)
        if advisor is None or AllocationGroup.objects.exists():
            return
        access_grant(actor=None, user=advisor, accounts=masters, perms=["trade"], tenant=tenant)
        subs = list(master.subs.order_by("number")[:3])
        everyone = list(master.subs.order_by("number"))
        group_create(
            actor=advisor,
            tenant=tenant,
            name="All clients, equal",
            master=master,
            method="equal",
            members=[MemberSpec(account=a, priority=100) for a in everyone],
        )
        model = group_create(
            actor=advisor,
            tenant=tenant,
            name="Model 50/30/20",
            master=master,
            method="percentages",
            members=[
                MemberSpec(account=a, priority=n, value=Decimal(v))
                for n, (a, v) in enumerate(zip(subs, ("50", "30", "20"), strict=True), start=1)
            ],
        )
        instrument = Instrument.objects.filter(currency=master.base_currency).order_by("symbol")
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
        try:
            allocation_book(
                user=advisor,
                tenant=tenant,
                allocation=allocation_preview(user=advisor, tenant=tenant, block=booked),
            )
        except ValidationError:
            pass  # a demo client without the cash keeps the preview for the demo to book
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
