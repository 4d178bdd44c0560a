"""Load test of the client portal: the dashboard of an account with 1,000 positions, served by
gunicorn (production settings, 2 sync workers) over loopback, 20 concurrent clients.

The load generator is a bounded asyncio/httpx client in this process: a fixed number of
requests (or a time limit, whichever comes first) after a warm-up; latency is measured per
request from send to full body.
"""

import asyncio
import secrets
import statistics
import time
from pathlib import Path

FIGURES = ("dashboard_rps", "dashboard_p50_ms", "dashboard_p99_ms")
POSITIONS = 1000
CONCURRENCY = 20
WORKERS = 2
WARMUP_REQUESTS = 60
MAX_REQUESTS = 6000
MAX_SECONDS = 30.0
HOST = "bench-portal.test"


def _session_cookie(fixture) -> str:
    """A logged-in, second-factor-verified session of the fixture's client, as a real login
    would leave it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_tenants.utils import tenant_context

    from compliance.sessions import session_stamp_login

    class _Request:
        session = None

    with tenant_context(fixture.tenant):
        user = fixture.user
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
        request = _Request()
        request.session = store
        session_stamp_login(request)
        store.create()
        return store.session_key


async def _load(base_url: str, cookie: str, account_id: int) -> tuple[list[float], float, int]:
    import httpx

    url = f"{base_url}/?account={account_id}"
    headers = {"Host": HOST, "Cookie": f"sessionid={cookie}", "X-Forwarded-Proto": "https"}
    latencies: list[float] = []
    failures = 0
    issued = 0
    deadline = time.monotonic() + MAX_SECONDS
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)

    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        for _ in range(WARMUP_REQUESTS):
            response = await client.get(url)
            if response.status_code != 200 or b'data-figure="nlv"' not in response.content:
                raise RuntimeError(f"dashboard answered {response.status_code}")

        async def worker():
            nonlocal issued, failures
            while issued < MAX_REQUESTS and time.monotonic() < deadline:
                issued += 1
                started = time.perf_counter()
                response = await client.get(url)
                elapsed = time.perf_counter() - started
                if response.status_code == 200:
                    latencies.append(elapsed)
                else:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        wall = time.perf_counter() - started
    return latencies, wall, failures


def run() -> dict[str, float]:
    from django.conf import settings
    from django.db import connection

    from clientportal.liveserver import gunicorn_serve
    from clientportal.testing import portal_fixture_create
    from tenants.services import tenant_provision

    tenant = tenant_provision(
        name="Bench Portal",
        schema_name="bench_portal",
        domain=HOST,
        security_officer_email=f"so@{HOST}",
    )
    fixture = portal_fixture_create(
        tenant=tenant, prefix="bench", positions=POSITIONS, password="bench-portal-pass-1"
    )
    # The session and its auth hash are signed with SECRET_KEY: this process and the server
    # must share it.
    secret_key = secrets.token_urlsafe(48)
    settings.SECRET_KEY = secret_key
    cookie = _session_cookie(fixture)
    connection.set_schema_to_public()
    connection.close()  # the server processes get their own connections
    extra_env = {
        "DJANGO_SETTINGS_MODULE": "brokerportal.settings.production",
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
    }
    with gunicorn_serve(
        settings_module="brokerportal.settings.production",
        workers=WORKERS,
        extra_env=extra_env,
        log_path=Path(__file__).resolve().parent.parent / "artifacts" / "gunicorn-bench-portal.log",
    ) as (base_url, _):
        latencies, wall, failures = asyncio.run(_load(base_url, cookie, fixture.account.pk))
    if failures:
        raise RuntimeError(f"{failures} dashboard requests failed")
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return {
        "dashboard_rps": round(len(latencies) / wall, 1),
        "dashboard_p50_ms": round(statistics.median(ordered) * 1000, 1),
        "dashboard_p99_ms": round(p99 * 1000, 1),
    }
