"""Celery tasks of the branding app: thin, idempotent, each in its sender's tenant schema
(tenant-schemas-celery). A task is acknowledged only after it ran (CELERY_TASK_ACKS_LATE), so
the work of a worker killed mid-task is delivered again; issuing is idempotent, so a
redelivery or a re-run never duplicates a statement."""

from celery import shared_task
from django.db import connection

from branding.statement_models import IssuedStatement, StatementRun
from branding.statements.selectors import run_accounts_missing

# Statements per task of a month-end run: large enough that a task's set-based ledger reads
# (about 20 queries) are shared by many statements, small enough to spread a run evenly.
BATCH_SIZE = 25


def _tenant():
    """The tenant the task runs for (the worker sets its schema; look the row up if only the
    schema name is known)."""
    from tenants.models import Tenant

    tenant = connection.tenant
    if getattr(tenant, "pk", None) is None:
        tenant = Tenant.objects.get(schema_name=connection.schema_name)
    return tenant


def _chunks(ids: list[int], size: int) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def batch_size(count: int) -> int:
    """Accounts per task: up to BATCH_SIZE, so a task's ledger reads are shared by many
    statements; but at least about eight tasks per run, so a small run still spreads over the
    workers."""
    return max(1, min(BATCH_SIZE, -(-count // 8)))


@shared_task
def statement_run_dispatch(run_id: int) -> int:
    """Fans the run out: one task per batch of accounts still without their statement."""
    run = StatementRun.objects.get(pk=run_id)
    ids = list(run_accounts_missing(tenant=_tenant(), run=run).values_list("pk", flat=True))
    for chunk in _chunks(ids, batch_size(len(ids))):
        statements_issue_for_run_batch.delay(run_id, chunk)
    return len(ids)


@shared_task
def statements_issue_for_run_batch(run_id: int, account_ids: list[int]) -> int:
    """Issues the batch's missing statements (idempotent: a redelivery issues only the rest),
    then hands those not yet delivered to the e-mail task; returns how many await e-mail."""
    from branding.statements.services import statements_issue_for_run

    run = StatementRun.objects.get(pk=run_id)
    pending = statements_issue_for_run(tenant=_tenant(), run=run, account_ids=account_ids)
    if pending:
        statements_ready_notify.delay(pending)
    return len(pending)


@shared_task
def statement_issue_for_run(run_id: int, account_id: int) -> int | None:
    """One account of a run (kept for messages queued by earlier versions)."""
    statements_issue_for_run_batch(run_id, [account_id])
    issued = IssuedStatement.objects.filter(run_id=run_id, account_id=account_id, version=1).first()
    return issued.pk if issued else None


@shared_task
def statement_ready_notify(statement_id: int) -> int:
    from branding.statements.delivery import statement_ready_email_send

    statement = IssuedStatement.objects.select_related("account").get(pk=statement_id)
    return statement_ready_email_send(statement=statement)


@shared_task
def statements_ready_notify(statement_ids: list[int]) -> int:
    from branding.statements.delivery import statements_ready_emails_send

    statements = list(
        IssuedStatement.objects.select_related("account").filter(pk__in=statement_ids)
    )
    return statements_ready_emails_send(statements=statements)
