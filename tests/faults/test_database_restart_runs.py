"""PostgreSQL restarted (`pg_ctl restart -m fast`) under a month-end statement run and under an
allocation booking, on a private cluster holding a copy of the test database
(tests.support.pgcluster).

- The statement run issues each statement in a transaction of its own: the restart leaves every
  account with its statement whole (row, files matching their SHA-256) or with none, and the
  re-started run issues the rest, one statement per account.
- The allocation booking is one transaction: stopped by the restart while it waits at its last
  step (the tenant's event lock, held by the test), it leaves nothing (no entry, the fills free,
  the allocation still previewed); booking again books it once.

`ledger_verify` is clean after each.
"""

import json
import os
import subprocess
import sys
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.support import pgcluster

pytestmark = pytest.mark.skipif(not pgcluster.available(), reason="no PostgreSQL binaries")

PERIOD = ("2026-11-01", "2026-11-30")
STATEMENT_ACCOUNTS = 40

# The scripts run by `manage.py shell -c` in the cluster's environment; their parameters come in
# FAULT_PARAMS (JSON).
STATEMENT_SETUP = """
import json, os
from decimal import Decimal
from django_tenants.utils import tenant_context
from ledger.services import account_open, cash_deposit
from tenants.models import Tenant
tenant = Tenant.objects.get(schema_name="tenant_a")
with tenant_context(tenant):
    for i in range(json.loads(os.environ["FAULT_PARAMS"])["count"]):
        account = account_open(tenant=tenant, title=f"Month end {i}", account_type="individual")
        cash_deposit(account=account, amount=Decimal(1000 + i), currency="USD",
                     idempotency_key=f"month-end-{account.pk}")
"""

STATEMENT_RUN = """
import datetime as dt, json, os
from django_tenants.utils import tenant_context
from branding.statements.services import statement_run_start
from tenants.models import Tenant
tenant = Tenant.objects.get(schema_name="tenant_a")
start, end = json.loads(os.environ["FAULT_PARAMS"])["period"]
with tenant_context(tenant):
    statement_run_start(tenant=tenant, period_kind="monthly", user=None,
                        period_start=dt.date.fromisoformat(start),
                        period_end=dt.date.fromisoformat(end))
"""

STATEMENT_STATE = """
import hashlib, json, os
from django.db.models import Count
from django_tenants.utils import tenant_context
from branding.statement_models import IssuedStatement, StatementFailure, StatementRun
from branding.statements.selectors import run_accounts
from tenants.models import Tenant
tenant = Tenant.objects.get(schema_name="tenant_a")
with tenant_context(tenant):
    start, end = json.loads(os.environ["FAULT_PARAMS"])["period"]
    run = StatementRun.objects.get(period_start=start, period_end=end)
    rows = IssuedStatement.objects.filter(run=run)
    whole = 0
    for row in rows:
        ok = all(
            field.storage.exists(field.name)
            and hashlib.sha256(field.open("rb").read()).hexdigest() == digest
            for field, digest in ((row.pdf, row.pdf_sha256), (row.csv, row.csv_sha256),
                                  (row.xml, row.xml_sha256))
        )
        whole += ok
    per_account = rows.values("account_id").annotate(n=Count("id"))
    print(json.dumps({
        "accounts": run_accounts(tenant=tenant).count(),
        "issued": rows.count(),
        "whole": whole,
        "most_per_account": max([r["n"] for r in per_account], default=0),
        "failures": StatementFailure.objects.filter(run=run).count(),
    }))
"""

ALLOCATION_SETUP = """
import json
from django_tenants.utils import tenant_context
from allocations.services import allocation_preview
from allocations.tests.factories import block_make, grant, group_make, master_with_subs, user_make
from tenants.models import Tenant
tenant = Tenant.objects.get(schema_name="tenant_a")
with tenant_context(tenant):
    advisor = user_make(tenant)
    master, subs = master_with_subs(tenant, 20)
    grant(advisor, tenant, [master])
    group = group_make(advisor, tenant, master, subs, method="equal")
    block = block_make(advisor, tenant, master, group, fills=[("2000", "25", "4.00")])
    allocation = allocation_preview(user=advisor, tenant=tenant, block=block)
print(json.dumps({"allocation": allocation.pk, "advisor": advisor.pk, "block": block.pk,
                  "instrument": block.instrument_id, "subs": [s.pk for s in subs]}))
"""

ALLOCATION_BOOK = """
import json, os
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context
from allocations.models import Allocation
from allocations.services import allocation_book
from tenants.models import Tenant
tenant = Tenant.objects.get(schema_name="tenant_a")
made = json.loads(os.environ["FAULT_PARAMS"])
with tenant_context(tenant):
    allocation_book(user=get_user_model().objects.get(pk=made["advisor"]), tenant=tenant,
                    allocation=Allocation.objects.get(pk=made["allocation"]))
"""


def _env(cluster, params: dict | None = None) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": cluster.url,
        "DJANGO_SETTINGS_MODULE": "brokerportal.settings.test",
        "DB_CONN_MAX_AGE": "0",
        "FAULT_PARAMS": json.dumps(params or {}),
    }


def _shell(cluster, script: str, *, check: bool = True, **params) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our manage.py)
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=settings.BASE_DIR,
        env=_env(cluster, params),
        capture_output=True,
        text=True,
        check=check,
        timeout=600,
    )


def _shell_start(cluster, script: str, **params) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=settings.BASE_DIR,
        env=_env(cluster, params),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _json(completed: subprocess.CompletedProcess) -> dict:
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _sql(cluster, query: str, params=()) -> list[tuple]:
    with psycopg.connect(cluster.url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(query, params).fetchall()


def _ledger_verify(cluster) -> None:
    verify = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "ledger_verify"],
        cwd=settings.BASE_DIR,
        env=_env(cluster),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert verify.returncode == 0, verify.stdout[-2000:] + verify.stderr[-2000:]


def _wait(predicate, *, timeout: float, what: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"the process ended ({process.returncode}) before {what}: {err[-2000:]}")
        assert time.monotonic() < deadline, f"gave up after {timeout:.0f} s waiting for {what}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), pgcluster.cluster_copy_of(connection.settings_dict) as made:
        yield made


def test_month_end_statement_run_under_a_database_restart_issues_each_statement_once(cluster):
    # given a tenant with accounts funded before the period ends
    _shell(cluster, STATEMENT_SETUP, count=STATEMENT_ACCOUNTS)

    def issued() -> int:
        return _sql(
            cluster,
            "SELECT count(*) FROM tenant_a.branding_issuedstatement s "
            "JOIN tenant_a.branding_statementrun r ON r.id = s.run_id "
            "WHERE r.period_start = %s AND r.period_end = %s",
            PERIOD,
        )[0][0]

    # when the database restarts while the run issues statements
    first = _shell_start(cluster, STATEMENT_RUN, period=PERIOD)
    try:
        _wait(lambda: issued() >= 3, timeout=300, what="the first statements", process=first)
        assert first.poll() is None, "the run ended before the restart"
        cluster.restart()
        first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)
    assert first.returncode != 0  # the run did not get to finish

    # then every statement of the first run is whole or absent, none twice
    after_restart = _json(_shell(cluster, STATEMENT_STATE, period=PERIOD))
    assert 3 <= after_restart["issued"] < after_restart["accounts"]
    assert after_restart["whole"] == after_restart["issued"]
    assert after_restart["most_per_account"] == 1

    # and the re-started run issues the rest, each account's statement once
    rerun = _shell(cluster, STATEMENT_RUN, check=False, period=PERIOD)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    done = _json(_shell(cluster, STATEMENT_STATE, period=PERIOD))
    assert done == {
        "accounts": after_restart["accounts"],
        "issued": after_restart["accounts"],
        "whole": after_restart["accounts"],
        "most_per_account": 1,
        "failures": 0,
    }
    _ledger_verify(cluster)


def test_allocation_booking_under_a_database_restart_books_once(cluster):
    # given a previewed allocation of a 2,000-share block over 20 sub-accounts
    made = _json(_shell(cluster, ALLOCATION_SETUP))
    key = f"allocation:tenant_a:{made['allocation']}"

    def booked_entries() -> int:
        return _sql(
            cluster,
            "SELECT count(*) FROM public.ledger_journalentry WHERE idempotency_key = %s",
            [key],
        )[0][0]

    def sub_shares():
        return _sql(
            cluster,
            "SELECT coalesce(sum(quantity), 0), count(*) FROM public.ledger_position "
            "WHERE instrument_id = %s AND account_id = ANY(%s) AND quantity <> 0",
            [made["instrument"], made["subs"]],
        )[0]

    # when the database restarts while the booking waits at its last step: the tenant's
    # event lock (events.services.event_record), held here, after the entry, the projections,
    # the allocation's state and the fills were written in its transaction
    holder = psycopg.connect(cluster.url.replace("postgres://", "postgresql://"), autocommit=True)
    holder.execute("SELECT pg_advisory_lock(hashtext('events:tenant_a'))")
    booking = _shell_start(cluster, ALLOCATION_BOOK, **made)
    try:
        _wait(
            lambda: (
                _sql(
                    cluster,
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND wait_event = 'advisory' AND pid <> pg_backend_pid()",
                )[0][0]
                == 1
            ),
            timeout=300,
            what="the booking to reach the event lock",
            process=booking,
        )
        cluster.restart()
        booking.communicate(timeout=300)
    finally:
        holder.close()
        if booking.poll() is None:
            booking.kill()
            booking.wait(timeout=10)
    assert booking.returncode != 0

    # then it left nothing
    assert booked_entries() == 0
    assert sub_shares() == (0, 0)
    state = _sql(
        cluster,
        "SELECT state, entry_id FROM tenant_a.allocations_allocation WHERE id = %s",
        [made["allocation"]],
    )
    assert state == [("previewed", None)]
    assert _sql(
        cluster,
        "SELECT count(*) FROM tenant_a.allocations_blockfill WHERE block_id = %s "
        "AND allocation_id IS NOT NULL",
        [made["block"]],
    ) == [(0,)]
    _ledger_verify(cluster)

    # and booking again books it once: 100 shares to each of the 20 sub-accounts
    again = _shell(cluster, ALLOCATION_BOOK, check=False, **made)
    assert again.returncode == 0, again.stderr[-2000:]
    assert booked_entries() == 1
    assert sub_shares() == (2000, 20)
    assert _sql(
        cluster,
        "SELECT state FROM tenant_a.allocations_allocation WHERE id = %s",
        [made["allocation"]],
    ) == [("booked",)]
    refused = _shell(cluster, ALLOCATION_BOOK, check=False, **made)
    assert refused.returncode != 0 and "already booked" in refused.stderr
    assert booked_entries() == 1
    _ledger_verify(cluster)
