"""The Broker Portal's account listing (search, filters, sort, a page) and the exception
reports, on a tenant of 100,000 accounts: 200 advisor masters with 100 sub-accounts each and
79,800 individual accounts, every one with cash (one in nine negative), a fifth on Reg T
margin holding a position, one application with an e-mail per ten accounts, all opened two
years ago and without activity since (every open account is dormant: the report's worst case).
The listing is requested through the whole stack (test client, session, second factor) by a
staff login that sees every account of the tenant."""

import datetime as dt
import random
import statistics
import time
from decimal import Decimal

FIGURES = ("broker_accounts_search_p95_ms", "broker_accounts_search_p50_ms", "exceptions_report_s")
ACCOUNTS = 100_000
MASTERS = 200
SUBS_PER_MASTER = 100
REQUESTS = 60
FIRST = ["Ava", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas"]
LAST = ["Morgan", "Muller", "Okafor", "Lindqvist", "Tanaka", "Rossi", "Novak", "Haddad"]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(round(share * (len(ordered) - 1)))]


def _seed(tenant):
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from ledger.models import Account, CashBalance, FxRate, Instrument, Position, Price
    from onboarding.models import Application

    rng = random.Random(20261202)

    def title(i):
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}-{i}"

    masters = Account.objects.bulk_create(
        Account(tenant=tenant, number=f"BDM{i:06d}", title=f"Fund {i}", account_type="master")
        for i in range(MASTERS)
    )
    subs = [
        Account(
            tenant=tenant,
            number=f"BDS{m:04d}{s:03d}",
            title=title(m * 1000 + s),
            account_type="sub",
            parent=master,
        )
        for m, master in enumerate(masters)
        for s in range(SUBS_PER_MASTER)
    ]
    rest = ACCOUNTS - MASTERS - len(subs)
    singles = [
        Account(
            tenant=tenant,
            number=f"BDU{i:07d}",
            title=title(i),
            account_type="individual",
            base_currency="EUR" if i % 13 == 0 else "USD",
            margin_type="reg_t" if i % 5 == 0 else "cash",
            external_ref=f"crm-{i:07d}",
        )
        for i in range(rest)
    ]
    accounts = masters + Account.objects.bulk_create(subs + singles, batch_size=5000)
    Account.objects.filter(tenant=tenant).update(opened_at=timezone.now() - dt.timedelta(days=730))
    CashBalance.objects.bulk_create(
        (
            CashBalance(account=a, currency="USD", quantity=Decimal(-250 if i % 9 == 0 else 10_000))
            for i, a in enumerate(accounts)
        ),
        batch_size=10_000,
    )
    instruments = Instrument.objects.bulk_create(
        Instrument(symbol=f"BD{i:03d}", asset_class="STK", currency="USD", conid=880_000 + i)
        for i in range(50)
    )
    today = timezone.localdate()
    FxRate.objects.update_or_create(
        currency="EUR", date=today, defaults={"usd_per_unit": Decimal("1.08")}
    )
    Price.objects.bulk_create(
        Price(instrument=x, date=today, close=Decimal(100)) for x in instruments
    )
    Position.objects.bulk_create(
        (
            Position(
                account=a, instrument=instruments[i % 50], quantity=Decimal(100), cost=Decimal(9000)
            )
            for i, a in enumerate(accounts)
            if a.margin_type == "reg_t"
        ),
        batch_size=10_000,
    )
    with tenant_context(tenant):
        Application.objects.bulk_create(
            (
                Application(
                    first_name=a.title.split()[0],
                    last_name=a.title.split()[-1],
                    email=f"holder{i}@bench-desk.test",
                    state="opened",
                    account=a,
                )
                for i, a in enumerate(accounts[MASTERS::10])
            ),
            batch_size=5000,
        )


def run() -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django_tenants.utils import tenant_context

    from desk.exceptions import exceptions_report
    from tenants.services import tenant_provision
    from tests.support.tenants import login, tenant_client

    tenant = tenant_provision(
        name="Bench Desk",
        schema_name="bench_desk",
        domain="bench-desk.test",
        security_officer_email="so@bench-desk.test",
    )
    _seed(tenant)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with tenant_context(tenant):
        staff = get_user_model().objects.create_superuser(
            username="bench-officer", email="officer@bench-desk.test", password=None
        )
    connection.set_schema_to_public()
    client = login(tenant_client(tenant), staff, tenant)
    rng = random.Random(7)
    searches = [
        lambda: {"q": rng.choice(LAST)[1:5].lower()},
        lambda: {"q": f"-{rng.randrange(80_000)}"},
        lambda: {"q": f"holder{rng.randrange(10_000)}@"},
        lambda: {"q": f"crm-{rng.randrange(79_800):07d}"},
        lambda: {"negative_cash": "true", "sort": "-name"},
        lambda: {"account_type": "sub", "master": "", "base_currency": "USD", "sort": "opened"},
        lambda: {"page": str(rng.randrange(1, 2000))},
    ]
    client.get("/broker/accounts/")  # first request: caches, connections
    timings = []
    for n in range(REQUESTS):
        params = searches[n % len(searches)]()
        started = time.perf_counter()
        response = client.get("/broker/accounts/", params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    with tenant_context(tenant):
        exceptions_report(tenant=tenant)  # warm
        started = time.perf_counter()
        report = exceptions_report(tenant=tenant)
        report_s = time.perf_counter() - started
    connection.set_schema_to_public()
    assert len(report.items["negative_cash"]) > 10_000
    return {
        "broker_accounts_search_p95_ms": round(_percentile(timings, 0.95), 1),
        "broker_accounts_search_p50_ms": round(statistics.median(timings), 1),
        "exceptions_report_s": round(report_s, 2),
    }
