"""Running the automatic checks of an application and overriding a failed one."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.services import audit_record
from tenants.roles import COMPLIANCE_OFFICER, has_role

from .. import checks as rules
from ..models import Application, CheckOverride, WatchListEntry

FINAL_STATES = (Application.State.REJECTED, Application.State.WITHDRAWN)


def watchlist_names() -> rules.WatchList:
    return rules.WatchList(
        rules.WatchListName(name, dob)
        for name, dob in WatchListEntry.objects.values_list("name", "date_of_birth")
    )


def duplicates_of(application: Application) -> list[str]:
    """Other live applications and existing logins of this tenant with the same tax id or
    e-mail address (case-insensitive)."""
    found = []
    same = Q()
    if application.tax_id:
        same |= Q(tax_id=application.tax_id, tax_residency=application.tax_residency)
    if application.email:
        same |= Q(email__iexact=application.email)
    if same:
        others = (
            Application.objects.filter(same)
            .exclude(pk=application.pk)
            .exclude(state__in=FINAL_STATES)
            .values_list("pk", "tax_id")
        )
        for pk, tax_id in others[:5]:
            what = "tax id" if application.tax_id and tax_id == application.tax_id else "e-mail"
            found.append(f"application #{pk} (same {what})")
    if application.email and application.user_id is None:
        if get_user_model().objects.filter(email__iexact=application.email).exists():
            found.append("an existing login (same e-mail)")
    return found


def checks_evaluate(application: Application, *, watchlist=None) -> dict[str, dict]:
    kinds = set(application.documents.values_list("kind", flat=True))
    name = " ".join(p for p in (application.first_name, application.last_name) if p)
    results = [
        rules.age_check(application.date_of_birth, today=timezone.localdate()),
        rules.documents_check(kinds),
        rules.duplicate_check(duplicates_of(application)),
        rules.watchlist_check(
            name,
            application.date_of_birth,
            watchlist_names() if watchlist is None else watchlist,
        ),
        rules.suitability_check(
            trading_permissions=application.trading_permissions,
            margin_type=application.margin_type,
            experience=application.experience,
            objectives=application.objectives,
            liquid_net_worth=application.liquid_net_worth,
        ),
    ]
    return {result.name: result.as_dict() for result in results}


@transaction.atomic
def application_checks_run(*, application: Application) -> Application:
    """Evaluate every check and store the results (and whether any failed) for the queue."""
    application.checks = checks_evaluate(application)
    application.checks_failed = any(not r["passed"] for r in application.checks.values())
    application.checks_run_at = timezone.now()
    application.save(update_fields=["checks", "checks_failed", "checks_run_at", "updated_at"])
    return application


def checks_blocking(application: Application) -> dict[str, str]:
    """Failed checks without an override: {check: message}. These block approval."""
    overridden = set(application.overrides.values_list("check_name", flat=True))
    return {
        name: result["message"]
        for name, result in application.checks.items()
        if not result["passed"] and name not in overridden
    }


@transaction.atomic
def check_override(
    *, application: Application, check_name: str, actor, reason: str, ip: str | None = None
) -> CheckOverride:
    """A Compliance Officer lets a failed check pass, with a written reason."""
    if not has_role(actor, COMPLIANCE_OFFICER):
        raise PermissionDenied("Only a Compliance Officer may override a failed check.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("A written reason is required to override a check.")
    result = application.checks.get(check_name)
    if result is None or result["passed"]:
        raise ValidationError(f"The check {check_name!r} has not failed; nothing to override.")
    if application.overrides.filter(check_name=check_name).exists():
        raise ValidationError(f"The check {check_name!r} is already overridden.")
    override = CheckOverride.objects.create(
        application=application, check_name=check_name, officer=actor, reason=reason
    )
    audit_record(
        actor=actor,
        action="application.check_override",
        target=f"application:{application.pk}",
        details={"check": check_name, "reason": reason, "failed_with": result["message"]},
        ip=ip,
    )
    return override
