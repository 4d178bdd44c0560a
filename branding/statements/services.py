"""Writes of statements: issue one, correct one, start (or re-start) a month-end run.

Issuing is idempotent per account, kind, period and version: the unique constraint decides when
two workers race, and the loser removes its files and returns the winner's row. That is what lets
a re-run, or the redelivery of a task whose worker was killed (tasks are acknowledged late),
recover without duplicates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from branding.statement_models import IssuedStatement, StatementFailure, StatementRun
from branding.statements.brand_style import brand_style_current
from branding.statements.csv_export import statement_csv
from branding.statements.data import statement_gather, statements_gather
from branding.statements.flex_xml import statements_flex_write
from branding.statements.layout import BrandStyle, Statement
from branding.statements.pdf import statement_pdf
from branding.statements.selectors import run_accounts, run_accounts_missing
from compliance.chain import PUBLIC, Chain, chain_for_tenant
from compliance.services.anchors import audit_anchors_record
from compliance.services.audit import audit_record
from events.services import event_record
from ledger.models import Account

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderedStatement:
    pdf: bytes
    csv: bytes
    xml: bytes


def statement_render(statement: Statement, brand: BrandStyle) -> RenderedStatement:
    xml = io.BytesIO()
    statements_flex_write(xml, [statement], count=1)
    return RenderedStatement(
        pdf=statement_pdf(statement, brand), csv=statement_csv(statement, brand), xml=xml.getvalue()
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _latest(*, account: Account, kind: str, period_start: dt.date, period_end: dt.date):
    return (
        IssuedStatement.objects.filter(
            account=account, kind=kind, period_start=period_start, period_end=period_end
        )
        .order_by("-version")
        .first()
    )


def _store(
    *,
    account: Account,
    kind: str,
    period_kind: str,
    period_start: dt.date,
    period_end: dt.date,
    version: int,
    replaces: IssuedStatement | None,
    reason: str,
    run: StatementRun | None,
    user,
) -> IssuedStatement | None:
    """Renders (outside any transaction: no lock is held while drawing), stores the files, then
    inserts the row with its audit record; None if another worker inserted it first."""
    statement = statement_gather(
        account=account, period_kind=period_kind, period_start=period_start, period_end=period_end
    )
    issued = _insert(
        statement=statement,
        rendered=statement_render(statement, brand_style_current()),
        account_id=account.pk,
        kind=kind,
        version=version,
        replaces=replaces,
        reason=reason,
        run=run,
        user=user,
        failure_clear=run is not None,
    )
    if issued is not None:
        statement_id, tenant = issued.pk, connection.tenant
        transaction.on_commit(lambda: _notify(statement_id, tenant))
    return issued


def _insert(
    *,
    statement: Statement,
    rendered: RenderedStatement,
    account_id: int,
    kind: str,
    version: int,
    replaces: IssuedStatement | None,
    reason: str,
    run: StatementRun | None,
    user,
    failure_clear: bool,
) -> IssuedStatement | None:
    """Stores the rendered files, then inserts the row with its audit record in one
    transaction; None (and the files removed) if another worker inserted it first."""
    issued = IssuedStatement(
        account_id=account_id,
        kind=kind,
        period_kind=statement.period_kind,
        period_start=statement.period_start,
        period_end=statement.period_end,
        version=version,
        replaces=replaces,
        correction_reason=reason,
        run=run,
        pdf_sha256=_sha256(rendered.pdf),
        csv_sha256=_sha256(rendered.csv),
        xml_sha256=_sha256(rendered.xml),
        ending_value=statement.nav_change.ending_value,
        currency=statement.account.base_currency,
        issued_by_id=getattr(user, "pk", None),
    )
    number = statement.account.number
    stem = f"{number}-{statement.period_end:%Y%m%d}"
    issued.pdf.save(f"{stem}.pdf", ContentFile(rendered.pdf), save=False)
    issued.csv.save(f"{stem}.csv", ContentFile(rendered.csv), save=False)
    issued.xml.save(f"{stem}.xml", ContentFile(rendered.xml), save=False)
    try:
        with transaction.atomic():
            issued.save(force_insert=True)
            if failure_clear:
                StatementFailure.objects.filter(run=run, account_id=account_id).delete()
            audit_record(
                actor=user,
                action="statement.correct" if replaces else "statement.issue",
                target=f"{number} {kind} {statement.period_start}..{statement.period_end}",
                details={
                    "statement_id": issued.pk,
                    "version": version,
                    "replaces": replaces.pk if replaces else None,
                    "reason": reason,
                    "pdf_sha256": issued.pdf_sha256,
                },
            )
            event_record(
                kind="statement.ready",
                subject=f"statement:{issued.pk}",
                account_id=account_id,
                data={
                    "statement_id": issued.pk,
                    "account": number,
                    "kind": kind,
                    "period_start": statement.period_start.isoformat(),
                    "period_end": statement.period_end.isoformat(),
                    "version": version,
                    "replaces": replaces.pk if replaces else None,
                },
            )
    except IntegrityError:
        for field in (issued.pdf, issued.csv, issued.xml):
            field.storage.delete(field.name)
        return None
    return issued


def statements_issue_for_run(*, tenant, run: StatementRun, account_ids: list[int]) -> list[int]:
    """Issues the run's statements of `account_ids` that are still missing, gathering their
    figures for all of them at once; an account that fails gets its failure recorded and does
    not stop the others. Returns the ids of the run's statements of these accounts that have
    not been delivered yet (those issued now, and any whose e-mail a killed worker left
    unsent), for the e-mail task.

    Each statement is inserted in its own transaction, so a worker killed mid-batch keeps what
    it committed and the redelivered task (or a re-run) issues only the rest."""
    missing = list(
        run_accounts_missing(tenant=tenant, run=run)
        .filter(pk__in=list(account_ids))
        .values_list("pk", flat=True)
    )
    failed_before = set(
        StatementFailure.objects.filter(run=run, account_id__in=account_ids).values_list(
            "account_id", flat=True
        )
    )
    done_before = failed_before.difference(missing)
    if done_before:  # issued meanwhile by another task: the failure no longer holds
        StatementFailure.objects.filter(run=run, account_id__in=done_before).delete()
    if missing:
        gathered = statements_gather(
            tenant=tenant,
            account_ids=missing,
            period_kind=run.period_kind,
            period_start=run.period_start,
            period_end=run.period_end,
        )
        brand = brand_style_current()
        for account_id in missing:
            try:
                if account_id in gathered.failures:
                    raise gathered.failures[account_id]
                statement = gathered.statements[account_id]
                _insert(
                    statement=statement,
                    rendered=statement_render(statement, brand),
                    account_id=account_id,
                    kind=run.kind,
                    version=1,
                    replaces=None,
                    reason="",
                    run=run,
                    user=None,
                    failure_clear=account_id in failed_before,
                )
            except Exception as exc:  # noqa: BLE001 - one account's failure must not stop the run
                logger.exception("statement of account %s in run %s failed", account_id, run.pk)
                statement_run_failure_record(
                    run=run, account_id=account_id, error=f"{type(exc).__name__}: {exc}"
                )
    return list(
        IssuedStatement.objects.filter(
            run=run, account_id__in=account_ids, delivery__isnull=True
        ).values_list("pk", flat=True)
    )


def statement_issue(
    *,
    account: Account,
    period_kind: str,
    period_start: dt.date,
    period_end: dt.date,
    kind: str = "activity",
    run: StatementRun | None = None,
    user=None,
) -> tuple[IssuedStatement, bool]:
    """Issues the first version of a statement unless one exists; returns (statement, created).

    The e-mail to the account's clients is sent by a task after the commit."""
    existing = _latest(account=account, kind=kind, period_start=period_start, period_end=period_end)
    if existing is None:
        issued = _store(
            account=account,
            kind=kind,
            period_kind=period_kind,
            period_start=period_start,
            period_end=period_end,
            version=1,
            replaces=None,
            reason="",
            run=run,
            user=user,
        )
        if issued is not None:
            return issued, True
        existing = _latest(
            account=account, kind=kind, period_start=period_start, period_end=period_end
        )
    if run is not None:
        StatementFailure.objects.filter(run=run, account=account).delete()
    return existing, False


def statement_correct(*, issued: IssuedStatement, reason: str, user) -> IssuedStatement:
    """Issues a new version of `issued` from the ledger as it is now, naming the one it replaces.

    Only the latest version can be corrected; the old one stays, unchanged, for the record."""
    if not reason.strip():
        raise ValueError("A correction states its reason.")
    latest = _latest(
        account=issued.account,
        kind=issued.kind,
        period_start=issued.period_start,
        period_end=issued.period_end,
    )
    if latest.pk != issued.pk:
        raise ValueError(f"Version {issued.version} was already replaced by {latest.version}.")
    corrected = _store(
        account=issued.account,
        kind=issued.kind,
        period_kind=issued.period_kind,
        period_start=issued.period_start,
        period_end=issued.period_end,
        version=issued.version + 1,
        replaces=issued,
        reason=reason.strip(),
        run=None,
        user=user,
    )
    if corrected is None:
        raise ValueError("Another correction of this statement was issued at the same time.")
    return corrected


@transaction.atomic
def statement_run_start(
    *,
    tenant,
    period_kind: str,
    period_start: dt.date,
    period_end: dt.date,
    kind: str = "activity",
    user,
) -> StatementRun:
    """Creates the run for the period, or re-starts the existing one: after commit, one task per
    account that has no statement for the period yet (failed ones included)."""
    if period_end < period_start:
        raise ValueError("The period ends before it starts.")
    run, created = StatementRun.objects.select_for_update().get_or_create(
        kind=kind,
        period_start=period_start,
        period_end=period_end,
        defaults={"period_kind": period_kind, "started_by_id": getattr(user, "pk", None)},
    )
    run.total = run_accounts(tenant=tenant).count()
    if not created:
        run.restarted_at = timezone.now()
        run.started_by_id = getattr(user, "pk", None)
    run.save(update_fields=["total", "restarted_at", "started_by_id"])
    # The chains' heads of the period's closed days, so the run's summary can print them.
    closed = min(period_end, timezone.now().date() - dt.timedelta(days=1))
    for chain in (chain_for_tenant(tenant), Chain(PUBLIC)):
        audit_anchors_record(chain=chain, through=closed)
    audit_record(
        actor=user,
        action="statement_run.start" if created else "statement_run.restart",
        target=str(run),
        details={"run_id": run.pk, "accounts": run.total},
    )
    run_id, current = run.pk, connection.tenant
    transaction.on_commit(lambda: _in_tenant(current, _dispatch, run_id))
    return run


def statement_run_failure_record(
    *, run: StatementRun, account: Account | None = None, account_id: int | None = None, error: str
) -> None:
    StatementFailure.objects.update_or_create(
        run=run,
        account_id=account.pk if account is not None else account_id,
        defaults={"error": error[:4000]},
    )


def _dispatch(run_id: int) -> None:
    """Through the task outbox (tenants.queue): a run started while the broker is down is
    dispatched once it is back."""
    from branding.tasks import statement_run_dispatch
    from tenants.queue import task_enqueue_on_commit

    task_enqueue_on_commit(statement_run_dispatch, run_id)


def _in_tenant(tenant, enqueue, object_id: int) -> None:
    """On-commit callbacks run after the caller may have left the tenant's schema (an outer
    transaction committed outside `tenant_context`); the task must carry the tenant it was
    enqueued for."""
    with tenant_context(tenant):
        enqueue(object_id)


def _notify(statement_id: int, tenant) -> None:
    from branding.tasks import statement_ready_notify
    from tenants.queue import task_enqueue_on_commit

    with tenant_context(tenant):
        task_enqueue_on_commit(statement_ready_notify, statement_id)
