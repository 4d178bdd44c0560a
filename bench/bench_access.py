"""Access checks: `access_account` for one account, and `accounts_visible` for a user granted
50 masters with 20 subs each (1,000 visible accounts) among 5,000 accounts of the tenant; and a
full page through the login guard middleware (session + second factor)."""

import statistics
import time

FIGURES = (
    "access_account_p50_ms",
    "access_account_p95_ms",
    "accounts_visible_1000_of_5000_ms",
    "guarded_request_p50_ms",
)
REPEAT = 200


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(round(share * (len(ordered) - 1)))]


def run() -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django_tenants.utils import tenant_context

    from compliance.services import grant_add
    from ledger.access import access_account, accounts_visible
    from ledger.models import Account
    from tenants.services import tenant_provision
    from tests.support.tenants import login, tenant_client

    tenant = tenant_provision(
        name="Bench Access",
        schema_name="bench_access",
        domain="bench-access.test",
        security_officer_email="so@bench-access.test",
    )
    masters = Account.objects.bulk_create(
        Account(tenant=tenant, number=f"BAM{i:05d}", title="m", account_type="master")
        for i in range(250)
    )
    Account.objects.bulk_create(
        Account(
            tenant=tenant, number=f"BAS{m:03d}{s:02d}", title="s", account_type="sub", parent=master
        )
        for m, master in enumerate(masters)
        for s in range(19)
    )
    granted_masters = masters[:50]
    with tenant_context(tenant):
        user = get_user_model().objects.create_user(username="bench-advisor", is_staff=True)
        grant_add(actor=None, user=user, accounts=granted_masters, perms=["trade"])
        probe = granted_masters[25].subs.order_by("number").first()

        timings = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            access_account(user=user, tenant=tenant, account_id=probe.pk, need="trade")
            timings.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        visible = len(list(accounts_visible(user=user, tenant=tenant)))
        visible_ms = (time.perf_counter() - started) * 1000
        assert visible == 50 * 20, visible
    connection.set_schema_to_public()

    client = login(tenant_client(tenant), user, tenant)
    client.get("/healthz")
    requests = []
    for _ in range(REPEAT // 4):
        started = time.perf_counter()
        client.get("/auth/reauth/")
        requests.append((time.perf_counter() - started) * 1000)
    return {
        "access_account_p50_ms": round(statistics.median(timings), 3),
        "access_account_p95_ms": round(_percentile(timings, 0.95), 3),
        "accounts_visible_1000_of_5000_ms": round(visible_ms, 2),
        "guarded_request_p50_ms": round(statistics.median(requests), 2),
    }
