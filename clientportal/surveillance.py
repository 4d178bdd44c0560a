"""Surveillance of withdrawals (compliance.surveillance has the rest): a withdrawal over the
tenant's limit, or to a destination the client never used before within N days of a change of
its e-mail or address — the account-takeover pattern of FINRA Regulatory Notice 20-32 and
FinCEN's red flags. Reads only, current tenant's schema."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from clientportal.models import WithdrawalRequest
from compliance.models import AuditRecord
from compliance.surveillance import Finding, audit_evidence, surveillance_config

ADDRESS_OR_EMAIL_CHANGES = ("user.email_change", "client.address_change")


def withdrawal_findings(*, since: dt.datetime) -> list[Finding]:
    config = surveillance_config()
    limit = Decimal(str(config.get("withdrawal_limit", "50000")))
    window = dt.timedelta(days=int(config.get("new_destination_days", 30)))
    requests = list(
        WithdrawalRequest.objects.filter(created_at__gte=since)
        .select_related("requested_by", "account")
        .order_by("created_at")
    )
    findings: list[Finding] = []
    for request in requests:
        who = request.requested_by.get_username()
        where = {
            "withdrawal_request": request.pk,
            "account": request.account.number,
            "amount": str(request.amount),
            "currency": request.currency,
            "destination": request.destination,
        }
        if request.amount > limit:
            findings.append(
                Finding(
                    "withdrawal_large",
                    request.created_at,
                    who,
                    f"{request.amount:.2f} {request.currency} from {request.account.number} "
                    f"is over the limit of {limit}",
                    where,
                )
            )
        used_before = (
            WithdrawalRequest.objects.filter(
                requested_by=request.requested_by,
                destination=request.destination,
                created_at__lt=request.created_at,
            )
            .exclude(pk=request.pk)
            .exists()
        )
        if used_before:
            continue
        change = (
            AuditRecord.objects.filter(
                action__in=ADDRESS_OR_EMAIL_CHANGES,
                target=f"user:{who}",
                created_at__lte=request.created_at,
                created_at__gte=request.created_at - window,
            )
            .order_by("-created_at")
            .first()
        )
        if change is not None:
            findings.append(
                Finding(
                    "withdrawal_new_destination",
                    request.created_at,
                    who,
                    f"{request.amount:.2f} {request.currency} to a new destination "
                    f"{(request.created_at - change.created_at).days} day(s) after "
                    f"{change.action}",
                    {**where, "change": audit_evidence(change)},
                )
            )
    return findings
