"""Block allocation of 1,000,000 shares over 10,000 sub-accounts: the engine alone, preview +
booking into the ledger, and the FIXML export of that allocation (10,000 `Alloc` lines)."""

import random
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime
from decimal import Decimal

FIGURES = (
    "allocation_engine_10k_ms",
    "allocation_book_10k_s",
    "allocation_preview_10k_s",
    "fixml_export_10k_s",
    "fixml_export_10k_peak_mb",
    "margin_monitor_after_allocation_s",
)
ACCOUNTS = 10_000
SHARES = Decimal(1_000_000)
FUNDING = Decimal(10_000)


def _engine_ms() -> float:
    from allocations.engine import Member, allocate

    rng = random.Random(6)
    members = [
        Member(f"U{i:07d}", rng.randint(1, 5), Decimal(rng.randint(10_000, 50_000_000)) / 100)
        for i in range(ACCOUNTS)
    ]
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        result = allocate(quantity=SHARES, members=members, method="net_liquidation")
        timings.append(time.perf_counter() - started)
    assert sum(result.quantities) == SHARES
    return statistics.median(timings) * 1000


def _desk():
    """A tenant with a master, 10,000 Reg T sub-accounts (bulk inserted: set-up is not timed),
    a ratio group over them and a block of 1,000,000 shares in two fills."""
    from django.contrib.auth import get_user_model

    from allocations.models import AllocationGroup, AllocationGroupMember
    from allocations.services import block_create, block_fill_add
    from compliance.services.grants import grant_add
    from ledger.journal.bulk import BulkCashEntry, CashLine, cash_entries_bulk_book
    from ledger.models import Account, Instrument
    from ledger.platform import BANK, platform_account
    from ledger.services import account_number_next, account_open
    from tenants.services import tenant_provision

    tenant = tenant_provision(
        name="Bench Allocations",
        schema_name="bench_alloc",
        domain="bench-alloc.test",
        security_officer_email="so@bench-alloc.test",
    )
    master = account_open(tenant=tenant, title="Bench master", account_type="master")
    numbers = account_number_next(prefix="U", count=ACCOUNTS)
    Account.objects.bulk_create(
        [
            Account(
                tenant=tenant,
                number=number,
                title=f"Sub {number}",
                account_type=Account.Type.SUB,
                parent=master,
                margin_type=Account.MarginType.REG_T,
            )
            for number in numbers
        ],
        batch_size=2000,
    )
    subs = list(Account.objects.filter(parent=master).order_by("number"))
    # Each client has cash for its share (about 1,830 USD at most): the booking opens no margin
    # call, as an advisor's real desk would not.
    bank = platform_account(BANK).pk
    cash_entries_bulk_book(
        [
            BulkCashEntry(
                "deposit",
                date(2026, 11, 19),
                f"bench-alloc-dep-{sub.pk}",
                (CashLine(sub.pk, "USD", FUNDING), CashLine(bank, "USD", -FUNDING)),
            )
            for sub in subs
        ]
    )
    instrument = Instrument.objects.create(symbol="BENCH", asset_class="STK", currency="USD")
    from django_tenants.utils import tenant_context

    with tenant_context(tenant):
        advisor = get_user_model().objects.create_user(username="bench-advisor")
        grant_add(actor=None, user=advisor, accounts=[master], perms=["trade"], tenant=tenant)
        group = AllocationGroup.objects.create(name="All", master=master, method="ratios")
        rng = random.Random(7)
        AllocationGroupMember.objects.bulk_create(
            [
                AllocationGroupMember(
                    group=group, account=sub, priority=rng.randint(1, 5), value=rng.randint(1, 9)
                )
                for sub in subs
            ],
            batch_size=2000,
        )
        block = block_create(
            actor=advisor,
            tenant=tenant,
            master=master,
            instrument=instrument,
            side="buy",
            trade_date=date(2026, 11, 20),
            reference="BENCH-1",
            group=group,
        )
        for n, (quantity, price) in enumerate(((600_000, "10.10"), (400_000, "10.25"))):
            block_fill_add(
                actor=advisor,
                tenant=tenant,
                block=block,
                execution_id=f"BENCH-EX-{n}",
                quantity=Decimal(quantity),
                price=Decimal(price),
                commission=Decimal("500.00"),
                executed_at=datetime(2026, 11, 20, 15, n, tzinfo=UTC),
            )
    return tenant, advisor, block


def run() -> dict[str, float]:
    from django_tenants.utils import tenant_context

    from allocations.models import Allocation
    from allocations.selectors import allocations_fixml_write, allocations_for
    from allocations.services import allocation_book, allocation_preview
    from bench.bench_ledger import margin_monitor_after
    from ledger import hooks

    figures = {"allocation_engine_10k_ms": round(_engine_ms(), 1)}
    tenant, advisor, block = _desk()
    with tenant_context(tenant):
        # The booking alone is timed: the margin monitor it triggers (`ledger.hooks`) runs
        # after commit on a worker in production, eagerly under these settings; it is timed
        # afterwards over the accounts booked to, as bench_ledger does for an import.
        subscribers = list(hooks._booked)
        touched: set[int] = set()
        hooks._booked[:] = [touched.update]
        try:
            started = time.perf_counter()
            preview = allocation_preview(user=advisor, tenant=tenant, block=block)
            previewed = time.perf_counter()
            booked = allocation_book(user=advisor, tenant=tenant, allocation=preview)
            figures["allocation_book_10k_s"] = round(time.perf_counter() - started, 3)
        finally:
            hooks._booked[:] = subscribers
        figures["margin_monitor_after_allocation_s"] = round(margin_monitor_after(touched), 2)
        # The preview's share of it (engine, explanations, 10,000 lines stored).
        figures["allocation_preview_10k_s"] = round(previewed - started, 3)
        assert booked.state == Allocation.State.BOOKED

        day = allocations_for(user=advisor, tenant=tenant)
        with tempfile.TemporaryFile() as out:
            started = time.perf_counter()
            allocations_fixml_write(out=out, allocations=day)
            figures["fixml_export_10k_s"] = round(time.perf_counter() - started, 3)
        # Peak Python memory of a second export (tracemalloc slows it, so it is not timed).
        with tempfile.TemporaryFile() as out:
            tracemalloc.start()
            allocations_fixml_write(out=out, allocations=day)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        figures["fixml_export_10k_peak_mb"] = round(peak / 1_000_000, 1)
    return figures
