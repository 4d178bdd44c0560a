"""Celery tasks of the branding app: thin, idempotent, each in its sender's tenant schema
(tenant-schemas-celery). A task is acknowledged only after it ran (CELERY_TASK_ACKS_LATE), so
the work of a worker killed mid-task is delivered again; issuing is idempotent, so a
redelivery or a re-run never duplicates a statement."""

import logging

from celery import shared_task
from django.db import connection

from branding.statement_models import IssuedStatement, StatementRun
from branding.statements.selectors import run_accounts_missing
from ledger.models import Account

logger = logging.getLogger(__name__)


def _tenant():
    """The tenant the task runs for (the worker sets its schema; look the row up if only the
    schema name is known)."""
    from tenants.models import Tenant

    tenant = connection.tenant
    if getattr(tenant, "pk", None) is None:
        tenant = Tenant.objects.get(schema_name=connection.schema_name)
    return tenant


@shared_task
def statement_run_dispatch(run_id: int) -> int:
    """Fans the run out: one task per account still without its statement."""
    run = StatementRun.objects.get(pk=run_id)
    ids = list(run_accounts_missing(tenant=_tenant(), run=run).values_list("pk", flat=True))
    for account_id in ids:
        statement_issue_for_run.delay(run_id, account_id)
    return len(ids)


@shared_task
def statement_issue_for_run(run_id: int, account_id: int) -> int | None:
    from branding.statements.services import statement_issue, statement_run_failure_record

    run = StatementRun.objects.get(pk=run_id)
    account = Account.objects.get(pk=account_id, tenant_id=_tenant().pk)
    try:
        issued, _ = statement_issue(
            account=account,
            kind=run.kind,
            period_kind=run.period_kind,
            period_start=run.period_start,
            period_end=run.period_end,
            run=run,
        )
    except Exception as exc:  # noqa: BLE001 - one account's failure must not stop the run
        logger.exception("statement of account %s in run %s failed", account.number, run_id)
        statement_run_failure_record(run=run, account=account, error=f"{type(exc).__name__}: {exc}")
        return None
    return issued.pk


@shared_task
def statement_ready_notify(statement_id: int) -> int:
    from branding.statements.delivery import statement_ready_email_send

    statement = IssuedStatement.objects.select_related("account").get(pk=statement_id)
    return statement_ready_email_send(statement=statement)
