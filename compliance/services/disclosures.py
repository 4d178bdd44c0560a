"""Acceptance of disclosure documents (compliance.disclosures), and the check that funding and
trading make first."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from compliance.disclosures import disclosure_content_hash, disclosures_pending
from compliance.models import DisclosureAcceptance

from .audit import audit_record


class DisclosuresPending(ValidationError):
    """Funding or trading asked for while a disclosure in force is not accepted."""


@transaction.atomic
def disclosure_accept(*, user, page, ip: str | None = None) -> DisclosureAcceptance:
    """Record that `user` accepted the current text of `page` (idempotent per text)."""
    digest = disclosure_content_hash(page)
    acceptance, created = DisclosureAcceptance.objects.get_or_create(
        user_id=user.pk,
        page_id=page.pk,
        content_sha256=digest,
        defaults={"username": user.get_username(), "version": page.version, "ip": ip},
    )
    if created:
        audit_record(
            actor=user,
            action="disclosure.accept",
            target=f"disclosure:{page.pk}",
            details={"title": page.title, "version": page.version, "sha256": digest},
            ip=ip,
        )
    return acceptance


def disclosures_require_accepted(*, user, country: str, today: dt.date) -> None:
    """Refuse (DisclosuresPending, naming the documents) while `user` has a disclosure in force
    for its region that it has not accepted in its current version."""
    pending = disclosures_pending(user=user, country=country, today=today)
    if pending:
        names = ", ".join(f"{p.title} (version {p.version or '-'})" for p in pending)
        raise DisclosuresPending(
            f"Please read and accept first: {names}. Open Disclosures in the portal."
        )


@transaction.atomic
def disclosures_accept_recorded(
    *, user, acknowledged: list[dict], accepted_at: dt.datetime, ip: str | None = None
) -> list[DisclosureAcceptance]:
    """The acceptances an applicant gave before having a login (the pages and text hashes
    stored with the submitted application, `compliance.disclosures.disclosures_shown`), recorded
    for the client login that approval created, with the time and address of the submission.
    A text accepted then that has been replaced since is asked for again at login, as for any
    client."""
    recorded = []
    for item in acknowledged:
        acceptance, created = DisclosureAcceptance.objects.get_or_create(
            user_id=user.pk,
            page_id=item["page"],
            content_sha256=item["sha256"],
            defaults={
                "username": user.get_username(),
                "version": item.get("version", ""),
                "accepted_at": accepted_at,
                "ip": ip,
            },
        )
        if created:
            recorded.append(acceptance)
    if recorded:
        audit_record(
            actor=user,
            action="disclosure.accept",
            target=f"user:{user.get_username()}",
            details={
                "at_onboarding": accepted_at.isoformat(),
                "pages": [
                    {"page": a.page_id, "version": a.version, "sha256": a.content_sha256}
                    for a in recorded
                ],
            },
            ip=ip,
        )
    return recorded
