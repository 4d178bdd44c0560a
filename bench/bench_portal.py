"""Load test of the client portal: the dashboard of an account with 1,000 positions, served by
gunicorn (production settings, 2 workers of 3 threads) over loopback, 20 concurrent clients.

The production set-up includes Redis (cache and sessions): `REDIS_URL`, else a Redis on
127.0.0.1:6379 if one answers; without one the server runs with per-process caches.

The load generator is `wrk` (a C program, installed from Debian's packages when missing), so the
client does not take the server's CPU: 20 connections for MAX_SECONDS after a warm-up, latency
per request from send to full response. Where wrk cannot be installed, a bounded asyncio/httpx
client in this process does the same (and then competes with the server for CPU).
"""

import asyncio
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

FIGURES = ("dashboard_rps", "dashboard_p50_ms", "dashboard_p99_ms")
POSITIONS = 1000
CONCURRENCY = 20
WORKERS = 2
# Threaded workers: part of a request is waiting on PostgreSQL and Redis. Keep-alive off and a
# worker takes no more connections than it has threads: a connection stays with the worker that
# accepted it, and a busy worker would queue requests while the other is free; this way the
# kernel's accept queue hands each request to whichever worker has a free thread.
# Overridable to compare (BENCH_PORTAL_WORKER_CLASS, _THREADS, _KEEP_ALIVE_S).
WORKER_CLASS = os.environ.get("BENCH_PORTAL_WORKER_CLASS", "gthread")
THREADS = int(os.environ.get("BENCH_PORTAL_THREADS", "3"))
KEEP_ALIVE_S = int(os.environ.get("BENCH_PORTAL_KEEP_ALIVE_S", "0"))
WARMUP_REQUESTS = 60
MAX_REQUESTS = 6000
MAX_SECONDS = 30.0
WRK_THREADS = 2
HOST = "bench-portal.test"
SESSION_COOKIE = "__Host-sessionid"  # the production settings' session cookie


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
    headers = {"Host": HOST, "Cookie": f"{SESSION_COOKIE}={cookie}", "X-Forwarded-Proto": "https"}
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


# Prints the figures wrk measured as one JSON line (latency in microseconds).
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors": %d, "status": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def _wrk() -> str | None:
    """wrk on PATH, else installed from the distribution's packages (as root, with apt-get)."""
    if shutil.which("wrk") or not shutil.which("apt-get") or os.geteuid() != 0:
        return shutil.which("wrk")
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    for argv in (install, ["apt-get", "update", "-q"], install):
        subprocess.run(argv, capture_output=True, check=False, timeout=600)  # noqa: S603
        if shutil.which("wrk"):
            break
    return shutil.which("wrk")


def _load_wrk(wrk: str, base_url: str, cookie: str, account_id: int) -> dict[str, float]:
    url = f"{base_url}/?account={account_id}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    try:
        argv = [
            wrk,
            f"--threads={WRK_THREADS}",
            f"--connections={CONCURRENCY}",
            f"--duration={int(MAX_SECONDS)}s",
            "--timeout=30s",
            f"--script={script.name}",
            "--header=Host: " + HOST,
            f"--header=Cookie: {SESSION_COOKIE}={cookie}",
            "--header=X-Forwarded-Proto: https",
            url,
        ]
        out = subprocess.run(  # noqa: S603 (our wrk, fixed arguments)
            argv, capture_output=True, text=True, check=True, timeout=MAX_SECONDS + 120
        ).stdout
    finally:
        Path(script.name).unlink(missing_ok=True)
    report = json.loads(out.strip().splitlines()[-1])
    if report["errors"] or report["status"]:
        raise RuntimeError(f"dashboard requests failed under load: {report}")
    return {
        "dashboard_rps": round(report["requests"] / (report["duration_us"] / 1e6), 1),
        "dashboard_p50_ms": round(report["p50_us"] / 1000, 1),
        "dashboard_p99_ms": round(report["p99_us"] / 1000, 1),
    }


def _warm_up(base_url: str, cookie: str, account_id: int) -> None:
    """Each worker process and thread answers the real page before the measurement starts."""
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)
    url = f"{base_url}/?account={account_id}"
    headers = {"Host": HOST, "Cookie": f"{SESSION_COOKIE}={cookie}", "X-Forwarded-Proto": "https"}
    with httpx.Client(headers=headers, timeout=30) as client:
        for _ in range(WARMUP_REQUESTS):
            response = client.get(url)
            if response.status_code != 200 or b'data-figure="nlv"' not in response.content:
                raise RuntimeError(f"dashboard answered {response.status_code}")


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return "redis://127.0.0.1:6379/0"
    except OSError:
        pass
    return ""


def run() -> dict[str, float]:
    from django.conf import settings
    from django.db import connection

    from tenants.services import tenant_provision
    from tests.support.clientportal import portal_fixture_create
    from tests.support.liveserver import gunicorn_serve

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
    redis_url = _redis_url()
    extra_env = {
        "DJANGO_SETTINGS_MODULE": "brokerportal.settings.production",
        "DEBUG": "false",
        "PLATFORM_HOST": "platform.localhost",
        "SECRET_KEY": secret_key,
        "REDIS_URL": redis_url,
        "PORTAL_FIGURES_CACHE": "true" if redis_url else "false",
    }
    if redis_url:
        _cache_versions_clear(redis_url)
    wrk = _wrk()
    with gunicorn_serve(
        settings_module="brokerportal.settings.production",
        workers=WORKERS,
        worker_class=WORKER_CLASS,
        threads=THREADS,
        keep_alive_s=KEEP_ALIVE_S,
        worker_connections=THREADS,
        extra_env=extra_env,
        log_path=Path(__file__).resolve().parent.parent / "artifacts" / "gunicorn-bench-portal.log",
    ) as (base_url, _):
        if wrk:
            _warm_up(base_url, cookie, fixture.account.pk)
            return _load_wrk(wrk, base_url, cookie, fixture.account.pk)
        print("   wrk not available: the in-process client measures", flush=True)  # noqa: T201
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


def _cache_versions_clear(redis_url: str) -> None:
    """The bench database is new each run and reuses account ids: versions a previous run left
    in Redis must not match (figures are keyed by them)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for pattern in ("ledger:*", "*bench_portal*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
