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
