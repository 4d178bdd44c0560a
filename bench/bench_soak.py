"""Soak: clients browsing, staff working the desk's queues and programs polling and posting the
API (bench/soak_locustfile.py, `locust` headless in its own process) for `BENCH_SOAK_SECONDS`
(600 by default) against gunicorn (production settings, 2 workers of 3 threads) and a Celery
worker (the tasks the deposit notices send), over loopback.

Recorded: requests and errors (any answer but the page asked for), p99 per route and over all,
the memory growth of every server process (the slope of a least-squares line through its
resident set size over the last half of the run, MB per hour; the figure is the largest of any
process), and the PostgreSQL connections to the bench database (the most seen, and how many more
there were at the end of the run than at its half: a leak grows it).
"""

import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

FIGURES = (
    "soak_requests",
    "soak_errors",
    "soak_p99_ms",
    "soak_rss_growth_mb_per_h",
    "soak_pg_connections_max",
    "soak_pg_connections_growth",
)
SECONDS = int(os.environ.get("BENCH_SOAK_SECONDS", "600"))
USERS = int(os.environ.get("BENCH_SOAK_USERS", "12"))
SAMPLE_EVERY_S = 5.0
HOST = "bench-soak.test"
SESSION_COOKIE = "__Host-sessionid"  # the production settings' session cookie
BASE_DIR = Path(__file__).resolve().parent.parent
# glibc's allocator as `make serve` sets it (the Makefile's SERVE_ALLOCATOR; docs/scaling.md,
# "Soak"): two arenas for the threads, and allocations from 128 KiB on mapped and returned to the
# system when freed, instead of the thresholds glibc raises after each large free
# (https://man7.org/linux/man-pages/man3/mallopt.3.html, M_MMAP_THRESHOLD, M_ARENA_MAX).
ALLOCATOR_ENV = {
    "MALLOC_ARENA_MAX": "2",
    "MALLOC_MMAP_THRESHOLD_": "131072",
    "MALLOC_TRIM_THRESHOLD_": "131072",
}


def _slope_per_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per hour."""
    if len(samples) < 3:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    if not var:
        return 0.0
    cov = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    return cov / var * 3600


class _Sampler(threading.Thread):
    """Every SAMPLE_EVERY_S: the RSS of each process under the given roots, and the number of
    PostgreSQL connections to the database."""

    def __init__(self, roots: list[int], dsn: str, dbname: str):
        super().__init__(daemon=True)
        self.roots, self.dsn, self.dbname = roots, dsn, dbname
        self.rss: dict[str, list[tuple[float, float]]] = {}
        self.connections: list[tuple[float, int]] = []
        self.stop = threading.Event()
        self.started = time.monotonic()

    def run(self) -> None:
        import psutil
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as db:
            while not self.stop.wait(SAMPLE_EVERY_S):
                now = time.monotonic() - self.started
                for root in self.roots:
                    try:
                        parent = psutil.Process(root)
                        processes = [parent, *parent.children(recursive=True)]
                    except psutil.NoSuchProcess:
                        continue
                    for process in processes:
                        try:
                            key = f"{process.pid}:{' '.join(process.cmdline()[:3])[-60:]}"
                            mb = process.memory_info().rss / 2**20
                        except psutil.NoSuchProcess:
                            continue
                        self.rss.setdefault(key, []).append((now, mb))
                count = db.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.dbname]
                ).fetchone()[0]
                self.connections.append((now, count))


def _people(tenant):
    """A client with 50 positions, a staff user with every account granted, their logged-in
    sessions (second factor verified) and an API key with read and fund scopes."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_tenants.utils import tenant_context

    from bench.bench_portal import _session_cookie
    from compliance.api_keys.services import api_key_create
    from compliance.services import grant_add
    from ledger.models import Account
    from tests.support.clientportal import portal_fixture_create

    client = portal_fixture_create(
        tenant=tenant, prefix="soak", positions=50, password="bench-soak-pass-1"
    )
    with tenant_context(tenant):
        staff = get_user_model().objects.create_superuser("soak-staff", f"staff@{HOST}", None)
        grant_add(
            actor=None,
            user=staff,
            accounts=list(Account.objects.filter(tenant=tenant)),
            perms=["view", "fund"],
        )
        TOTPDevice.objects.create(user=staff, name="app", confirmed=True)
        _, api_key = api_key_create(
            actor=None, user=staff, name="soak", scopes=["read", "fund"], days=2
        )
    return {
        "host": HOST,
        "cookie_name": SESSION_COOKIE,
        "client_cookie": _session_cookie(client),
        "staff_cookie": _session_cookie(SimpleNamespace(tenant=tenant, user=staff)),
        "api_key": api_key,
        "client_account": client.account.pk,
        "client_account_number": client.account.number,
        "search": client.account.number[:4],
    }


def _route_stats(csv_path: Path) -> tuple[dict[str, float], int, int, float]:
    """(p99 ms per route, requests, failures, p99 over all) from locust's `_stats.csv`."""
    per_route, requests, failures, overall = {}, 0, 0, 0.0
    with csv_path.open() as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                requests, failures = int(row["Request Count"]), int(row["Failure Count"])
                overall = float(row["99%"] or 0)
            else:
                per_route[row["Name"]] = float(row["99%"] or 0)
    return per_route, requests, failures, overall


def run() -> dict[str, float]:
    from django.conf import settings
    from django.db import connection

    from bench.bench_portal import _redis_url
    from tenants.services import tenant_provision
    from tests.support import workers
    from tests.support.liveserver import gunicorn_serve

    tenant = tenant_provision(
        name="Bench Soak",
        schema_name="bench_soak",
        domain=HOST,
        security_officer_email=f"so@{HOST}",
    )
    secret_key = secrets.token_urlsafe(48)
    settings.SECRET_KEY = secret_key  # sessions are signed with it: shared with the servers
    config = _people(tenant)
    connection.set_schema_to_public()
    dbname = connection.settings_dict["NAME"]
    dsn = workers.database_url()
    connection.close()
    redis_url = _redis_url()
    broker = os.environ.get("BENCH_SOAK_BROKER_URL") or (
        redis_url.rsplit("/", 1)[0] + "/15" if redis_url else "redis://127.0.0.1:6379/15"
    )
    server_env = {
        **ALLOCATOR_ENV,
        "DEBUG": "false",
        "PLATFORM_HOST": "platform.localhost",
        "SECRET_KEY": secret_key,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": broker,
        "EMAIL_URL": "dummymail://",
        "ALLOWED_HOSTS": ".test,.localhost,localhost,127.0.0.1",
    }
    artifacts = BASE_DIR / "artifacts"
    artifacts.mkdir(exist_ok=True)
    saved = {name: os.environ.get(name) for name in server_env}
    os.environ.update(server_env)
    worker = workers.worker_start(
        broker=broker, concurrency=2, settings_module="brokerportal.settings.production"
    )
    try:
        with (
            gunicorn_serve(
                settings_module="brokerportal.settings.production",
                workers=2,
                worker_class="gthread",
                threads=3,
                # idle connections outlive the people's longest pause (2 s), so a request never
                # meets a connection the server is closing at that moment
                keep_alive_s=15,
                extra_env=server_env,
                log_path=artifacts / "gunicorn-bench-soak.log",
            ) as (base_url, port),
            tempfile.TemporaryDirectory() as directory,
        ):
            from tests.support.liveserver import SERVERS

            config_path = Path(directory) / "soak.json"
            config_path.write_text(json.dumps(config))
            sampler = _Sampler([SERVERS[port].pid, worker.pid], dsn, dbname)
            sampler.start()
            locust = Path(sys.executable).with_name("locust")
            subprocess.run(  # noqa: S603 (our locust and locustfile)
                [
                    str(locust),
                    "-f",
                    str(BASE_DIR / "bench" / "soak_locustfile.py"),
                    "--headless",
                    "--users",
                    str(USERS),
                    "--spawn-rate",
                    str(USERS),
                    "--run-time",
                    f"{SECONDS}s",
                    "--host",
                    base_url,
                    "--csv",
                    str(Path(directory) / "soak"),
                    "--only-summary",
                    # users finish the request in flight when the time is up
                    "--stop-timeout",
                    "30",
                    "--exit-code-on-error",
                    "0",
                    "--loglevel",
                    "WARNING",
                ],
                env={**os.environ, "SOAK_CONFIG": str(config_path)},
                check=True,
                timeout=SECONDS + 120,
                stdout=(artifacts / "locust-bench-soak.log").open("w"),
                stderr=subprocess.STDOUT,
            )
            sampler.stop.set()
            sampler.join(timeout=30)
            if worker.poll() is not None:
                raise RuntimeError(f"the Celery worker exited with {worker.returncode}")
            per_route, requests, failures, overall = _route_stats(
                Path(directory) / "soak_stats.csv"
            )
            failures_csv = Path(directory) / "soak_failures.csv"
            if failures_csv.exists():
                (artifacts / "locust-bench-soak-failures.csv").write_text(failures_csv.read_text())
    finally:
        workers.worker_stop(worker)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    half = SECONDS / 2
    slopes = {
        key: _slope_per_hour([s for s in series if s[0] >= half])
        for key, series in sampler.rss.items()
    }
    late = [count for t, count in sampler.connections if t >= half]
    figures = {
        "soak_requests": requests,
        "soak_errors": failures,
        "soak_p99_ms": overall,
        "soak_rss_growth_mb_per_h": round(max(slopes.values(), default=0.0), 2),
        "soak_pg_connections_max": max((c for _, c in sampler.connections), default=0),
        "soak_pg_connections_growth": (late[-1] - late[0]) if late else 0,
    }
    for route, p99 in sorted(per_route.items()):
        figures[f"soak_p99_ms_{route.replace(' ', '_')}"] = p99
    (artifacts / "soak-samples.json").write_text(
        json.dumps({"rss_mb": sampler.rss, "pg_connections": sampler.connections})
    )
    for key, slope in sorted(slopes.items()):
        print(f"   rss slope {slope:8.2f} MB/h  {key}", flush=True)  # noqa: T201
    return figures
