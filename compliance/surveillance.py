"""Surveillance basics for the compliance officer: findings read from the tenant's own records,
each with the evidence it rests on (the audit records by id and chain hash, the request).

- large or unusual withdrawals: over the tenant's limit, or to a destination the client never
  used before within N days of a change of its e-mail or address (the account-takeover pattern
  of FINRA Regulatory Notice 20-32 and FinCEN's red flags);
- staff logins from a country that staff member had not logged in from before;
- grants and role changes outside business hours (Monday to Friday, in the firm's time zone);
- access reviews not signed by their due day.

Reads only, for the current tenant's schema: the staff exception report lists them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model

from compliance.models import AuditRecord
from compliance.selectors import access_reviews_overdue

GRANT_CHANGES = ("access.grant", "access.revoke", "user.roles_set", "user.role_revoke")


@dataclass(frozen=True)
class Finding:
    kind: str  # withdrawal_large, withdrawal_new_destination, login_new_country, ...
    at: dt.datetime
    who: str
    summary: str
    evidence: dict = field(default_factory=dict)


def surveillance_config() -> dict:
    return getattr(settings, "SURVEILLANCE", {})


def audit_evidence(record: AuditRecord) -> dict:
    return {"audit_record": record.pk, "seq": record.seq, "record_hash": record.record_hash}


def login_country_findings(*, since: dt.datetime) -> list[Finding]:
    staff = set(get_user_model().objects.filter(is_staff=True).values_list("username", flat=True))
    seen: dict[str, set[str]] = {}
    findings = []
    logins = AuditRecord.objects.filter(action="login", details__has_key="country").order_by("seq")
    for record in logins:
        username = record.target.removeprefix("user:")
        country = record.details["country"]
        known = seen.setdefault(username, set())
        if username in staff and known and country not in known and record.created_at >= since:
            findings.append(
                Finding(
                    "login_new_country",
                    record.created_at,
                    username,
                    f"staff login from {country}; before only from {', '.join(sorted(known))}",
                    {**audit_evidence(record), "ip": record.ip, "country": country},
                )
            )
        known.add(country)
    return findings


def grant_change_findings(*, since: dt.datetime) -> list[Finding]:
    config = surveillance_config()
    opens, closes = config.get("business_hours", (8, 18))
    zone = ZoneInfo(config.get("business_timezone", "UTC"))
    findings = []
    for record in AuditRecord.objects.filter(
        action__in=GRANT_CHANGES, created_at__gte=since
    ).order_by("seq"):
        local = record.created_at.astimezone(zone)
        if local.weekday() < 5 and opens <= local.hour < closes:
            continue
        findings.append(
            Finding(
                "grant_change_out_of_hours",
                record.created_at,
                record.actor_username or "system",
                f"{record.action} on {record.target} at {local:%a %H:%M} {zone.key}",
                {**audit_evidence(record), "details": record.details},
            )
        )
    return findings


def access_review_findings(*, today: dt.date) -> list[Finding]:
    return [
        Finding(
            "access_review_overdue",
            dt.datetime.combine(review.due_on, dt.time(), dt.UTC),
            "",
            f"access review {review.period_label} was due {review.due_on:%Y-%m-%d}, not signed",
            {"access_review": review.pk, "assigned_to": review.assigned_to_id},
        )
        for review in access_reviews_overdue(today=today)
    ]


def surveillance_findings(*, since: dt.datetime, today: dt.date) -> list[Finding]:
    """The findings of the current tenant from its compliance records since `since`, newest
    first (the withdrawals' are `clientportal.surveillance.withdrawal_findings`)."""
    found = (
        login_country_findings(since=since)
        + grant_change_findings(since=since)
        + access_review_findings(today=today)
    )
    return sorted(found, key=lambda f: f.at, reverse=True)
