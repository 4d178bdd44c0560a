"""A month-end run over real Celery workers: a worker killed mid-run loses nothing that a
re-run does not recover, and the re-run duplicates nothing."""

import hashlib
import time
from datetime import date

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from branding.statement_models import (
    IssuedStatement,
    StatementDelivery,
    StatementFailure,
    StatementRun,
)
from branding.statements import services
from branding.statements.services import statement_run_start
from ledger.models import Account
from ledger.services import account_open
from tenants.models import Tenant
from tests.support import workers as statement_workers
from tests.support.records import records_deletable

pytestmark = pytest.mark.worker
PERIOD = {
    "period_kind": "monthly",
    "period_start": date(2031, 1, 1),
    "period_end": date(2031, 1, 31),
}
ACCOUNTS = 24


def _issued_for(ids) -> int:
    return IssuedStatement.objects.filter(
        account_id__in=ids, period_end=PERIOD["period_end"]
    ).count()


@pytest.fixture
def worker_run(committed_db, monkeypatch):
    # Real commits throughout (no `db` fixture): the workers must see what this test writes.
    tenant_b = Tenant.objects.get(schema_name="tenant_b")
    sender = statement_workers.sender()
    statement_workers.broker_flush()
    # The run's fan-out goes to the real workers instead of running eagerly in this process.
    monkeypatch.setattr(
        services,
        "_dispatch",
        lambda run_id: sender.send_task("branding.tasks.statement_run_dispatch", args=[run_id]),
    )
    with tenant_context(tenant_b):
        accounts = [
            account_open(tenant=tenant_b, title=f"Worker test {i}", account_type="individual")
            for i in range(ACCOUNTS)
        ]
    workers = []
    try:
        yield tenant_b, [a.pk for a in accounts], workers
    finally:
        for worker in workers:
            statement_workers.worker_stop(worker)
        statement_workers.broker_flush()
        with tenant_context(tenant_b), records_deletable():
            runs = StatementRun.objects.filter(period_end=PERIOD["period_end"])
            statements = IssuedStatement.objects.filter(run__in=runs)
            for statement in statements:
                for field in (statement.pdf, statement.csv, statement.xml):
                    field.storage.delete(field.name)
            StatementDelivery.objects.filter(statement__in=statements).delete()
            statements.delete()
            StatementFailure.objects.filter(run__in=runs).delete()
            runs.delete()
            Account.objects.filter(pk__in=[a.pk for a in accounts]).delete()
        connection.set_schema_to_public()


def test_killed_worker_then_rerun_leaves_exactly_one_statement_per_account(worker_run):
    tenant, ids, workers = worker_run
    with tenant_context(tenant):
        # given: a run under way on one worker
        workers.append(statement_workers.worker_start())
        run = statement_run_start(tenant=tenant, user=None, **PERIOD)
        statement_workers.wait_for(
            lambda: _issued_for(ids) >= 3,
            timeout=120,
            what="3 statements from the first worker",
            workers=workers,
            progress=lambda: f"{_issued_for(ids)} issued",
        )
        # when: the worker is killed mid-run
        statement_workers.worker_kill(workers.pop())
        after_kill = _issued_for(ids)
        assert after_kill < ACCOUNTS
        # and the run is started again, on new workers
        workers.append(statement_workers.worker_start(concurrency=2))
        again = statement_run_start(tenant=tenant, user=None, **PERIOD)
        statement_workers.wait_for(
            lambda: _issued_for(ids) >= ACCOUNTS,
            timeout=300,
            what=f"{ACCOUNTS} statements after the re-run",
            workers=workers,
            progress=lambda: f"{_issued_for(ids)} issued",
        )
        # then: every account has exactly one statement, version 1, with the file it claims
        assert again.pk == run.pk
        time.sleep(1)  # a late duplicate, if any, would land now
        per_account = {
            pk: list(IssuedStatement.objects.filter(account_id=pk, period_end=PERIOD["period_end"]))
            for pk in ids
        }
        assert {pk: len(rows) for pk, rows in per_account.items()} == dict.fromkeys(ids, 1)
        for (statement,) in per_account.values():
            assert statement.version == 1
            with statement.pdf.open("rb") as handle:
                assert hashlib.sha256(handle.read()).hexdigest() == statement.pdf_sha256
