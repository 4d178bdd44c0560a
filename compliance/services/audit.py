from typing import Any

from django.db import transaction

from compliance.models import AuditRecord


def client_ip(request) -> str | None:
    """The client's address as the web server saw it (REMOTE_ADDR; a proxy in front sets it)."""
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


@transaction.atomic
def audit_record(
    *,
    actor,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditRecord:
    """Append one record to the tenant's audit trail (the current schema). `actor` is a user or
    None for the system; the username is copied so the record survives the user row."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    record = AuditRecord(
        actor_id=actor.pk if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        action=action,
        target=str(target)[:255],
        details=details or {},
        ip=ip,
    )
    record.full_clean()
    record.save()
    return record
