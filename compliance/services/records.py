"""The records export: a tenant's kept records of a period in one zip archive that can be checked
without the database (`compliance.records_verify`).

Layout: `files/statements/…` (every issued statement, confirmation and gains report of the
period, each PDF, CSV and XML), `files/access_reviews/…` (signed access reviews, PDF and CSV),
`audit/chain.jsonl` (the tenant's audit chain over the period with each record's canonical
text) and `manifest.json` (tenant, period, every file with its SHA-256, size and the digest its
record held since it was issued, the chain file's SHA-256 and the period's daily anchors). SEC
Rule 17a-4(f) asks that kept records can be verified and reproduced on request; this is that
reproduction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

from django.utils import timezone

from branding.statements.selectors import statements_issued_between
from compliance.chain import anchors_for, chain_for_tenant, chain_records_between
from compliance.selectors import access_reviews_signed_between

from .audit import audit_record


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def records_export(*, tenant, start: dt.date, end: dt.date, out: str | Path, actor=None) -> dict:
    """Write the export of `tenant`'s records issued from `start` to `end` (inclusive, UTC days)
    to `out`; returns the manifest. Runs in the tenant's schema."""
    if end < start:
        raise ValueError("The period ends before it starts.")
    since, until = _day_start(start), _day_start(end + dt.timedelta(days=1))
    files: list[dict] = []
    out = Path(out)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, data: bytes, record: str, stored: str | None) -> None:
            archive.writestr(name, data)
            files.append(
                {
                    "path": name,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "bytes": len(data),
                    "record": record,
                    "stored_sha256": stored,
                }
            )

        for statement in statements_issued_between(tenant=tenant, start=since, end=until):
            stem = (
                f"files/statements/{statement.pk}-{statement.kind}-{statement.account.number}-"
                f"{statement.period_start:%Y%m%d}-{statement.period_end:%Y%m%d}-v{statement.version}"
            )
            for fmt in ("pdf", "csv", "xml"):
                field = getattr(statement, fmt)
                with field.open("rb") as handle:
                    data = handle.read()
                add(
                    f"{stem}.{fmt}",
                    data,
                    f"issued_statement:{statement.pk}",
                    getattr(statement, f"{fmt}_sha256"),
                )
        for review in access_reviews_signed_between(start=since, end=until):
            for fmt in ("pdf", "csv"):
                field = getattr(review, fmt)
                with field.open("rb") as handle:
                    data = handle.read()
                add(
                    f"files/access_reviews/{review.pk}-{review.period_label}.{fmt}",
                    data,
                    f"access_review:{review.pk}",
                    getattr(review, f"{fmt}_sha256"),
                )
        chain = chain_for_tenant(tenant)
        lines = []
        for seq, pk, created, action, target, canonical, prev, digest in chain_records_between(
            chain, start=since, end=until
        ):
            lines.append(
                json.dumps(
                    {
                        "seq": seq,
                        "id": pk,
                        "created_at": created.isoformat(),
                        "action": action,
                        "target": target,
                        "canonical": canonical,
                        "prev_hash": prev,
                        "record_hash": digest,
                    },
                    ensure_ascii=False,
                )
            )
        chain_data = ("\n".join(lines) + ("\n" if lines else "")).encode()
        archive.writestr("audit/chain.jsonl", chain_data)
        manifest = {
            "tenant": tenant.schema_name,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "generated_at": timezone.now().isoformat(),
            "files": files,
            "audit_chain": {
                "path": "audit/chain.jsonl",
                "sha256": hashlib.sha256(chain_data).hexdigest(),
                "records": len(lines),
            },
            "anchors": [
                {"day": a.day.isoformat(), "seq": a.seq, "head_hash": a.head_hash}
                for a in anchors_for(chain, start=start, end=end)
            ],
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    audit_record(
        actor=actor,
        action="records.export",
        target=f"records:{start}..{end}",
        details={"files": len(files), "audit_records": len(lines)},
    )
    return manifest
