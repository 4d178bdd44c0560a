"""PostgreSQL restarted (`pg_ctl restart -m fast`) under the portal, on a private cluster that
holds a copy of the test database (tests.support.pgcluster).

- An execution import killed by the restart leaves nothing or everything (it is one
  transaction); the rerun books the rest exactly once and `ledger_verify` is clean.
- `/healthz` answers 503 while the database is down and 200 again once it is back, without a
  restart of the web server.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.support import pgcluster
from tests.support.liveserver import gunicorn_serve

pytestmark = pytest.mark.skipif(not pgcluster.available(), reason="no PostgreSQL binaries")

ROWS = 10_000
SETUP = """
import json
from decimal import Decimal
from django_tenants.utils import tenant_context
from ledger.services import account_open, cash_deposit
from tenants.models import Tenant
from tests.support.clientportal import instruments_make
tenant = Tenant.objects.get(schema_name="tenant_a")
with tenant_context(tenant):
    accounts = [
        account_open(tenant=tenant, title=f"Restart {i}", account_type="individual")
        for i in range(4)
    ]
    for account in accounts:
        cash_deposit(account=account, amount=Decimal("10000000"), currency="USD",
                     idempotency_key=f"restart-fund-{account.pk}")
    instruments = instruments_make(prefix="PGR", count=6)
print(json.dumps({"accounts": [a.number for a in accounts],
                  "symbols": [i.symbol for i in instruments]}))
"""


def _env(cluster) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": cluster.url,
        "DJANGO_SETTINGS_MODULE": "brokerportal.settings.test",
        "DB_CONN_MAX_AGE": "0",
    }


def _manage(cluster, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our manage.py)
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=_env(cluster),
        capture_output=True,
        text=True,
        check=check,
        timeout=600,
    )


def _booked(cluster, tag: str) -> int:
    with psycopg.connect(cluster.url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(
            "SELECT count(*) FROM public.ledger_journalentry WHERE execution_id LIKE %s",
            [f"{tag}%"],
        ).fetchone()[0]


def _import_running(cluster) -> bool:
    with psycopg.connect(cluster.url.replace("postgres://", "postgresql://")) as conn:
        return bool(
            conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                "AND pid <> pg_backend_pid() AND query ILIKE '%%ledger_%%'"
            ).fetchone()[0]
        )


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), pgcluster.cluster_copy_of(connection.settings_dict) as made:
        yield made


def test_execution_import_under_a_database_restart_books_once(cluster, tmp_path: Path):
    made = json.loads(_manage(cluster, "shell", "-c", SETUP).stdout.strip().splitlines()[-1])
    tag = "RESTART-"
    path = tmp_path / "executions.csv"
    with path.open("w") as out:
        out.write(
            "execution_id,account,symbol,side,quantity,price,trade_date,settle_date,"
            "commission,fees,currency\n"
        )
        for i in range(ROWS):
            account = made["accounts"][i % len(made["accounts"])]
            symbol = made["symbols"][i % len(made["symbols"])]
            out.write(
                f"{tag}{i},{account},{symbol},BUY,{1 + i % 7},{10 + i % 90}.25,"
                "2026-11-02,,1.00,,USD\n"
            )

    # when the database restarts while the import writes
    first = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "ledger_import_executions", str(path)],
        cwd=settings.BASE_DIR,
        env=_env(cluster),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not _import_running(cluster) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    cluster.restart()
    first.communicate(timeout=600)

    # then the first run left nothing or everything
    assert _booked(cluster, tag) in {0, ROWS}

    # and the rerun completes, each execution once
    rerun = _manage(cluster, "ledger_import_executions", str(path), check=False)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert _booked(cluster, tag) == ROWS
    verify = _manage(cluster, "ledger_verify", check=False)
    assert verify.returncode == 0, verify.stdout[-2000:]


def test_healthz_is_503_while_the_database_is_down_and_recovers(cluster, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        gunicorn_serve(workers=1, extra_env={"DATABASE_URL": cluster.url}) as (base, _),
    ):
        with httpx.Client(base_url=base, headers={"Host": "localhost"}, timeout=30) as http:
            assert http.get("/healthz").status_code == 200
            cluster.stop()
            try:
                down = http.get("/healthz")
                assert down.status_code == 503
                assert down.json()["database"] == "unreachable"
            finally:
                cluster.start()
            deadline = time.monotonic() + 30
            while (back := http.get("/healthz")).status_code != 200:
                assert time.monotonic() < deadline, back.text
                time.sleep(0.2)
            assert back.json()["database"] == "ok"
