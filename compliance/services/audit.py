import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from compliance.models import AuditRecord

CHAIN_FIELDS = ["seq", "prev_hash", "record_hash"]


def client_ip(request) -> str | None:
    """The client's address, read from trusted proxies only (ASVS 5.0 4.1.3): REMOTE_ADDR when
    no proxy is trusted (`AXES_IPWARE_PROXY_COUNT` 0, the default); with n proxies in front, the
    address the outermost one saw, which is the n-th entry from the right of the first header of
    `AXES_IPWARE_META_PRECEDENCE_ORDER` that is set (each proxy appends the address it was
    called from). Entries further left are the client's own to write and are never read. A
    header with fewer entries than proxies, or no address there, falls back to REMOTE_ADDR.

    The one reading of the client's address: audit records, rate limits and login lockouts
    (`AXES_CLIENT_IP_CALLABLE`) agree."""
    if request is None:
        return None
    meta = request.META
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0
    if proxies > 0:
        for header in getattr(settings, "AXES_IPWARE_META_PRECEDENCE_ORDER", ()):
            if header == "REMOTE_ADDR":
                break
            hops = [hop.strip() for hop in meta.get(header, "").split(",") if hop.strip()]
            if hops:
                if len(hops) >= proxies and _is_address(hops[-proxies]):
                    return hops[-proxies]
                break
    return meta.get("REMOTE_ADDR") or None


def login_origin(request) -> dict[str, str]:
    """Where a login came from, for the audit record and surveillance: the country that the
    trusted proxy in front names in `LOGIN_COUNTRY_HEADER` (e.g. `HTTP_CF_IPCOUNTRY` behind
    Cloudflare, `HTTP_CLOUDFRONT_VIEWER_COUNTRY` behind CloudFront), read only when proxies are
    trusted at all (`AXES_IPWARE_PROXY_COUNT` > 0): the client could write the header itself."""
    header = getattr(settings, "LOGIN_COUNTRY_HEADER", "")
    if not header or not (getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0) > 0:
        return {}
    country = request.META.get(header, "").strip().upper()
    return {"country": country} if len(country) == 2 and country.isalpha() else {}


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _audit_record_build(*, actor, action, target, details, ip) -> AuditRecord:
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    record = AuditRecord(
        actor_id=actor.pk if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        action=action,
        target=str(target)[:255],
        details=details or {},
        ip=ip,
    )
    # The chain's columns are the database's to fill, and nothing else of a record is unique:
    # no query to validate uniqueness (it would double the cost of every append).
    record.full_clean(exclude=CHAIN_FIELDS, validate_unique=False, validate_constraints=False)
    return record


def audit_record(
    *,
    actor,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditRecord:
    """Append one record to the tenant's audit trail (the current schema). `actor` is a user or
    None for the system; the username is copied so the record survives the user row.

    One INSERT, so no transaction of its own: inside the caller's it holds the chain's lock
    until the caller commits (the record and what it records are one), outside any it is its
    own transaction. A savepoint here would cost two more round trips per record."""
    record = _audit_record_build(actor=actor, action=action, target=target, details=details, ip=ip)
    record.save()
    return record


@dataclass(frozen=True)
class AuditEntry:
    """One record for `audit_records_append`: the arguments of `audit_record`."""

    action: str
    target: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    actor: Any = None
    ip: str | None = None


@dataclass(frozen=True)
class AppendedRecord:
    """A record `audit_records_append` wrote, with what the chain trigger gave it."""

    id: int
    seq: int
    prev_hash: str
    record_hash: str


APPEND_BATCH = 5000
_LIMITS = {name: AuditRecord._meta.get_field(name).max_length for name in ("action", "target")}

_APPEND = f"""
INSERT INTO {AuditRecord._meta.db_table}
       (created_at, actor_id, actor_username, action, target, details, ip)
SELECT created_at, actor_id, actor_username, action, target, details, ip
  FROM ROWS FROM (jsonb_to_recordset(%s::jsonb)
                  AS (created_at timestamptz, actor_id bigint, actor_username text,
                      action text, target text, details jsonb, ip inet))
       WITH ORDINALITY AS entry(created_at, actor_id, actor_username, action, target, details,
                                ip, n)
 ORDER BY n
RETURNING id, seq, prev_hash, record_hash
"""  # noqa: S608 (the table's name from the model)


def _entry_row(entry: AuditEntry, created_at: str) -> dict:
    """The columns of one entry, refused (ValidationError, by field) where the model's fields
    would refuse them: an action blank or too long, an address that is none, details that are
    not JSON."""
    actor = entry.actor
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    errors = {}
    if not entry.action:
        errors["action"] = "This field cannot be blank."
    elif len(entry.action) > _LIMITS["action"]:
        errors["action"] = f"Ensure this value has at most {_LIMITS['action']} characters."
    ip = entry.ip or None
    if ip is not None and not _is_address(ip):
        errors["ip"] = "Enter a valid IPv4 or IPv6 address."
    if errors:
        raise ValidationError(errors)
    return {
        "created_at": created_at,
        "actor_id": actor.pk if authenticated else None,
        "actor_username": actor.get_username() if authenticated else "",
        "action": entry.action,
        "target": str(entry.target)[: _LIMITS["target"]],
        "details": entry.details or {},
        "ip": ip,
    }


def _rows_json(rows: list[dict]) -> str:
    try:
        return json.dumps(rows, allow_nan=False)
    except (TypeError, ValueError):
        raise ValidationError({"details": "Value must be valid JSON."}) from None


@transaction.atomic
def audit_records_append(*, entries: Iterable[AuditEntry]) -> list[AppendedRecord]:
    """Append many records to the tenant's audit trail (the current schema) in the order given,
    as one INSERT of many rows per `APPEND_BATCH` (a bulk import, a statement run, a signed
    review's decisions).

    Each entry is checked against the record's fields first (one refused, none written), then
    chained as every record is, by the database's trigger under the chain's lock
    (`compliance.chain_sql`): the first row takes the lock and reads the head, the others
    follow it in the transaction, so a concurrent writer appends before or after the batch,
    never into it. No model instance per record: the rows go as one JSON array and come back
    with their seq and hashes (RETURNING)."""
    created_at = timezone.now().isoformat()
    rows = [_entry_row(entry, created_at) for entry in entries]
    appended: list[AppendedRecord] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), APPEND_BATCH):
            # One JSON text for the batch: the details go into jsonb as the ORM's JSONField
            # sends them (json.dumps, parsed by PostgreSQL), the rest as their columns' types.
            cursor.execute(_APPEND, [_rows_json(rows[start : start + APPEND_BATCH])])
            appended += sorted(
                (AppendedRecord(*row) for row in cursor.fetchall()), key=lambda r: r.seq
            )
    return appended
