"""Provisioning at 200 existing tenants, and a no-op `migrate_all` over all of them."""

import statistics
import time

FIGURES = ("tenant_provision_p95_s", "tenant_provision_p50_s", "migrate_noop_per_tenant_s")
EXISTING = 200
MEASURED = 20


def _provision(index: int) -> float:
    from tenants.services import tenant_provision

    started = time.perf_counter()
    tenant_provision(
        name=f"Bench {index}",
        schema_name=f"bench_{index:04d}",
        domain=f"bench-{index}.test",
        security_officer_email=f"so@bench-{index}.test",
    )
    return time.perf_counter() - started


def run() -> dict[str, float]:
    from django.core.management import call_command

    from tenants.selectors import tenant_schemas_all

    for index in range(EXISTING):
        _provision(index)
    timings = sorted(_provision(EXISTING + i) for i in range(MEASURED))
    p95 = timings[int(round(0.95 * (len(timings) - 1)))]

    tenants = len(tenant_schemas_all())
    started = time.perf_counter()
    call_command("migrate_all", verbosity=0)
    per_tenant = (time.perf_counter() - started) / tenants
    return {
        "tenant_provision_p95_s": round(p95, 3),
        "tenant_provision_p50_s": round(statistics.median(timings), 3),
        "migrate_noop_per_tenant_s": round(per_tenant, 4),
    }
