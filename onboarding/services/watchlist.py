"""The watch list a Compliance Officer uploads (CSV: name, date_of_birth optional); an upload
replaces the list, and is refused whole if any row is wrong."""

import csv
import io

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from compliance.services import audit_record
from tenants.roles import COMPLIANCE_OFFICER, has_role

from ..models import WatchListEntry
from ..validation import date_clean

WATCHLIST_MAX_BYTES = 5 * 1024 * 1024


@transaction.atomic
def watchlist_replace(*, actor, data: bytes, source: str, ip: str | None = None) -> int:
    if not has_role(actor, COMPLIANCE_OFFICER):
        raise PermissionDenied("Only a Compliance Officer may upload the watch list.")
    if len(data) > WATCHLIST_MAX_BYTES:
        raise ValidationError("The watch list is larger than 5 MB.")
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValidationError(f"The watch list is not a UTF-8 CSV file: {exc}") from exc
    if "name" not in (reader.fieldnames or []):
        raise ValidationError("The watch list needs a 'name' column (and may have date_of_birth).")
    entries, errors = [], []
    for number, row in enumerate(rows, start=2):
        name = (row.get("name") or "").strip()
        if not name:
            errors.append(f"row {number}: name is required")
            continue
        dob = (row.get("date_of_birth") or "").strip()
        try:
            date_of_birth = date_clean(dob) if dob else None
        except ValueError as exc:
            errors.append(f"row {number}: date_of_birth {exc}")
            continue
        entries.append(
            WatchListEntry(
                name=name[:200], date_of_birth=date_of_birth, source=source[:200], uploaded_by=actor
            )
        )
    if errors:
        raise ValidationError(errors)
    removed, _ = WatchListEntry.objects.all().delete()
    WatchListEntry.objects.bulk_create(entries, batch_size=1000)
    audit_record(
        actor=actor,
        action="watchlist.replace",
        target="watchlist",
        details={"source": source, "entries": len(entries), "removed": removed},
        ip=ip,
    )
    return len(entries)
