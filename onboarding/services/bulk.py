"""Bulk onboarding from a CSV or XML file: validate everything first and name every error by
row/element; only a clean file creates applications, all in one transaction, skipping the
external ids that already exist (a second upload of the same file creates nothing)."""

import hashlib
import io
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from brokerportal import csvsafe
from compliance.services import audit_record
from ledger.models import Account
from ledger.selectors import masters_for

from .. import checks as rules
from ..bulkfiles import bulk_file_parse
from ..models import Application, ApplicationTransition, BulkImport
from ..validation import application_data_clean
from .checks import FINAL_STATES, watchlist_names
from .copy import rows_copy
from .workflow import State, reviewer_require

BULK_MAX_BYTES = 20 * 1024 * 1024
REPORT_COLUMNS = ("locator", "external_id", "result", "application_id", "failed_checks")


def _refuse(*, bulk: BulkImport, errors: list[str], actor, ip) -> BulkImport:
    bulk.status = BulkImport.Status.REFUSED
    bulk.errors = errors
    bulk.save()
    audit_record(
        actor=actor,
        action="application.bulk_refused",
        target=f"bulk_import:{bulk.pk}",
        details={"file": bulk.file_name, "errors": len(errors), "first_errors": errors[:5]},
        ip=ip,
    )
    return bulk


def _rows_clean(rows, masters: dict[str, Account]) -> tuple[list[tuple[str, dict]], list[str]]:
    cleaned_rows, errors = [], []
    seen: dict[str, str] = {}
    for locator, raw in rows:
        cleaned, field_errors = application_data_clean(raw, complete=True)
        for name, message in field_errors.items():
            errors.append(f"{locator}: {name} {message}")
        external_id = cleaned.get("external_id", "")
        if not external_id:
            if "external_id" not in field_errors:
                errors.append(f"{locator}: external_id is required")
        elif external_id in seen:
            errors.append(f"{locator}: external_id {external_id} repeats {seen[external_id]}")
        else:
            seen[external_id] = locator
        number = cleaned.get("master_account")
        if number and number not in masters:
            errors.append(
                f"{locator}: master_account {number} is not a master account of this firm"
            )
        cleaned_rows.append((locator, cleaned))
    return cleaned_rows, errors


def _duplicates(new: list[Application]) -> dict[int, list[str]]:
    """For each new application (by list index): live applications or logins of the tenant, and
    earlier rows of the same file, with the same tax id or e-mail address."""
    tax_ids = {a.tax_id for a in new}
    emails = {a.email.lower() for a in new}
    by_tax, by_email = defaultdict(list), defaultdict(list)
    live = Application.objects.exclude(state__in=FINAL_STATES)
    for pk, tax_id in live.filter(tax_id__in=tax_ids).values_list("pk", "tax_id"):
        by_tax[tax_id].append(f"application #{pk} (same tax id)")
    for pk, email in live.annotate(e=Lower("email")).filter(e__in=emails).values_list("pk", "e"):
        by_email[email].append(f"application #{pk} (same e-mail)")
    logins = set(
        get_user_model()
        .objects.annotate(e=Lower("email"))
        .filter(e__in=emails)
        .values_list("e", flat=True)
    )
    found: dict[int, list[str]] = {}
    first_tax: dict[str, int] = {}
    first_email: dict[str, int] = {}
    for index, application in enumerate(new):
        email = application.email.lower()
        hits = by_tax[application.tax_id][:3] + by_email[email][:3]
        if email in logins:
            hits.append("an existing login (same e-mail)")
        if application.tax_id in first_tax:
            hits.append(f"{new[first_tax[application.tax_id]].external_id} in this file (tax id)")
        if email in first_email:
            hits.append(f"{new[first_email[email]].external_id} in this file (e-mail)")
        first_tax.setdefault(application.tax_id, index)
        first_email.setdefault(email, index)
        found[index] = hits
    return found


def _checks_evaluate(new: list[Application]) -> None:
    watchlist = watchlist_names()
    duplicates = _duplicates(new)
    today = timezone.localdate()
    for index, application in enumerate(new):
        name = f"{application.first_name} {application.last_name}"
        results = (
            rules.age_check(application.date_of_birth, today=today),
            rules.documents_check(()),
            rules.duplicate_check(duplicates[index]),
            rules.watchlist_check(name, application.date_of_birth, watchlist),
            rules.suitability_check(
                trading_permissions=application.trading_permissions,
                margin_type=application.margin_type,
                experience=application.experience,
                objectives=application.objectives,
                liquid_net_worth=application.liquid_net_worth,
            ),
        )
        application.checks = {r.name: r.as_dict() for r in results}
        application.checks_failed = any(not r.passed for r in results)
        application.checks_run_at = timezone.now()


def _report(results: list[tuple]) -> str:
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(REPORT_COLUMNS)
    writer.writerows(results)
    return out.getvalue()


@transaction.atomic
def bulk_import(*, actor, upload: UploadedFile, ip: str | None = None) -> BulkImport:
    """Import a file of applications. Returns the BulkImport: `refused` with every error named
    (nothing created), or `imported` with counts and a CSV report. Imports of one tenant are
    serialised (a transaction-level advisory lock) so that two uploads of the same file cannot
    both create its applications."""
    reviewer_require(actor)
    bulk = BulkImport(file_name=(upload.name or "upload")[:200], uploaded_by=actor, sha256="")
    if upload.size is None or upload.size > BULK_MAX_BYTES:
        bulk.file_format = "?"
        return _refuse(
            bulk=bulk,
            errors=[f"The file is larger than {BULK_MAX_BYTES // (1024 * 1024)} MB; split it."],
            actor=actor,
            ip=ip,
        )
    upload.seek(0)
    data = upload.read()
    bulk.sha256 = hashlib.sha256(data).hexdigest()
    bulk.file_format, parsed = bulk_file_parse(data=data, file_name=bulk.file_name)
    bulk.rows = len(parsed.rows)
    if parsed.errors:
        return _refuse(bulk=bulk, errors=parsed.errors, actor=actor, ip=ip)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}.bulk"]
        )
    masters = {a.number: a for a in masters_for(tenant=connection.tenant)}
    cleaned_rows, errors = _rows_clean(parsed.rows, masters)
    if errors:
        return _refuse(bulk=bulk, errors=errors, actor=actor, ip=ip)

    bulk.status = BulkImport.Status.IMPORTED
    bulk.save()
    wanted = [cleaned["external_id"] for _, cleaned in cleaned_rows]
    existing = dict(
        Application.objects.filter(external_id__in=wanted).values_list("external_id", "pk")
    )
    now = timezone.now()
    new, new_locators = [], []
    for locator, cleaned in cleaned_rows:
        if cleaned["external_id"] in existing:
            continue
        number = cleaned.pop("master_account", "")
        new.append(
            Application(
                **cleaned,
                master_account=masters.get(number) if number else None,
                source=Application.Source.BULK,
                state=State.SUBMITTED,
                submitted_at=now,
                disclosures_accepted_at=now,
                bulk_import=bulk,
            )
        )
        new_locators.append(locator)
    _checks_evaluate(new)
    rows_copy(Application, new)
    ids = dict(Application.objects.filter(bulk_import=bulk).values_list("external_id", "pk"))
    for application in new:
        application.pk = ids[application.external_id]
    label = actor.get_username()
    rows_copy(
        ApplicationTransition,
        [
            ApplicationTransition(
                application_id=a.pk,
                from_state=State.DRAFT,
                to_state=State.SUBMITTED,
                actor=actor,
                actor_label=label,
                reason=f"Bulk import #{bulk.pk} ({bulk.file_name})",
            )
            for a in new
        ],
    )
    created = {a.external_id: a for a in new}
    results = []
    for locator, cleaned in cleaned_rows:
        external_id = cleaned["external_id"]
        if external_id in created:
            application = created[external_id]
            failed = ";".join(n for n, r in application.checks.items() if not r["passed"])
            results.append((locator, external_id, "created", application.pk, failed))
        else:
            results.append((locator, external_id, "exists", existing[external_id], ""))
    bulk.created, bulk.existing = len(new), len(existing)
    bulk.report_csv = _report(results)
    bulk.save(update_fields=["created", "existing", "report_csv"])
    audit_record(
        actor=actor,
        action="application.bulk_import",
        target=f"bulk_import:{bulk.pk}",
        details={
            "file": bulk.file_name,
            "sha256": bulk.sha256,
            "rows": bulk.rows,
            "created": bulk.created,
            "existing": bulk.existing,
            "application_ids": [new[0].pk, new[-1].pk] if new else [],
        },
        ip=ip,
    )
    return bulk
