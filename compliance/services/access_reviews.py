"""Access reviews on a schedule: every staff user's roles and direct account grants, reviewed
every N months (quarterly by default, `SecuritySettings.access_review_months`) by a Security
Officer, line by line; the decisions take effect when the review is signed, and the signed
review is kept as a PDF and a CSV with their SHA-256s (immutable in the database, exported by
`records_export`). FINRA Rule 3110 and SEC Regulation S-P / S-ID expect periodic reviews of who
may reach customer accounts; ASVS 5.0 V8.4 asks for them to be recorded."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from guardian.models import UserObjectPermission

from brokerportal import csvsafe
from compliance.models import AccessReview, AccessReviewLine
from compliance.selectors import security_settings_get
from ledger.access import NEEDS
from ledger.models import Account
from ledger.selectors import accounts_for
from tenants.roles import ALL_ROLES, SECURITY_OFFICER

from .audit import AuditEntry, audit_record, audit_records_append
from .grants import grant_remove

CSV_HEADER = ["line", "user", "kind", "role", "account", "rights", "decision"]


def review_period(*, day: dt.date, months: int) -> tuple[str, dt.date, dt.date]:
    """(label, first day, last day) of the review period holding `day`: periods of `months`
    months from 1 January (quarterly: 2026-Q1 … Q4; half-yearly H1, H2; yearly the year)."""
    index = (day.month - 1) // months
    start = dt.date(day.year, index * months + 1, 1)
    end_month = start.month + months
    end = (
        dt.date(day.year + 1, 1, 1) if end_month > 12 else dt.date(day.year, end_month, 1)
    ) - dt.timedelta(days=1)
    letter = {3: "Q", 6: "H", 1: "M", 2: "B", 4: "T"}.get(months)
    label = f"{day.year}" if months == 12 else f"{day.year}-{letter}{index + 1}"
    return label, start, end


def _lines(*, tenant) -> list[AccessReviewLine]:
    users = {
        u.pk: u for u in get_user_model().objects.filter(is_staff=True).prefetch_related("groups")
    }
    lines = [
        AccessReviewLine(kind="role", user_id=u.pk, username=u.get_username(), role=group.name)
        for u in users.values()
        for group in u.groups.all()
        if group.name in ALL_ROLES
    ]
    accounts = {a.pk: a for a in accounts_for(tenant=tenant)}
    held: dict[tuple[int, int], set[str]] = {}
    direct = UserObjectPermission.objects.filter(
        content_type=ContentType.objects.get_for_model(Account), user_id__in=list(users)
    ).values_list("user_id", "object_pk", "permission__codename")
    for user_id, object_pk, codename in direct:
        if int(object_pk) in accounts:
            held.setdefault((user_id, int(object_pk)), set()).add(codename.removesuffix("_account"))
    for (user_id, account_id), rights in held.items():
        lines.append(
            AccessReviewLine(
                kind="grant",
                user_id=user_id,
                username=users[user_id].get_username(),
                account_id=account_id,
                account_number=accounts[account_id].number,
                rights=" ".join(sorted(rights, key=NEEDS.index)),
            )
        )
    return lines


@transaction.atomic
def access_review_open(*, tenant, day: dt.date | None = None) -> AccessReview:
    """The review of the period holding `day` (today), created with a snapshot of the lines
    and assigned to a Security Officer if it does not exist yet. Idempotent."""
    day = day or timezone.now().date()
    label, start, end = review_period(day=day, months=security_settings_get().access_review_months)
    review = AccessReview.objects.filter(period_label=label).first()
    if review is not None:
        return review
    officer = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=SECURITY_OFFICER)
        .order_by("pk")
        .first()
    )
    review = AccessReview.objects.create(
        period_label=label,
        period_start=start,
        due_on=end,
        assigned_to_id=officer.pk if officer else None,
    )
    lines = _lines(tenant=tenant)
    for line in lines:
        line.review = review
    AccessReviewLine.objects.bulk_create(lines)
    audit_record(
        actor=None,
        action="access_review.open",
        target=f"access_review:{label}",
        details={"lines": len(lines), "due_on": end.isoformat()},
    )
    return review


def _csv(review: AccessReview, lines: list[AccessReviewLine]) -> bytes:
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(CSV_HEADER)
    for line in lines:
        writer.writerow(
            [
                line.pk,
                line.username,
                line.kind,
                line.role,
                line.account_number,
                line.rights,
                line.decision,
            ]
        )
    return out.getvalue().encode("utf-8")


def _pdf(review: AccessReview, lines: list[AccessReviewLine], signer: str, when) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, title=f"Access review {review.period_label}")
    rows = [["User", "Kind", "Role / account", "Rights", "Decision"]] + [
        [
            line.username,
            line.kind,
            line.role or line.account_number,
            line.rights,
            line.decision,
        ]
        for line in lines
    ]
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
            ]
        )
    )
    document.build(
        [
            Paragraph(f"Access review {review.period_label}", styles["Title"]),
            Paragraph(
                f"Period from {review.period_start:%Y-%m-%d}, due {review.due_on:%Y-%m-%d}. "
                f"Signed by {signer} at {when:%Y-%m-%d %H:%M} UTC. "
                f"{sum(line.decision == 'revoke' for line in lines)} of {len(lines)} "
                "line(s) revoked.",
                styles["Normal"],
            ),
            table,
        ]
    )
    return buffer.getvalue()


@transaction.atomic
def access_review_sign(
    *, review: AccessReview, actor, decisions: dict[int, str], tenant, ip: str | None = None
) -> AccessReview:
    """Record a keep or revoke for every line, carry out the revocations, and sign: the PDF and
    CSV are written with their SHA-256s and the review can no longer change. Refused, with
    nothing changed, while a line is undecided or the review is signed already."""
    review = AccessReview.objects.select_for_update().get(pk=review.pk)
    if review.is_signed:
        raise ValidationError(
            f"This review was signed by {review.signed_by_username} at "
            f"{review.signed_at:%Y-%m-%d %H:%M} UTC."
        )
    lines = list(review.lines.all())
    undecided = [line for line in lines if decisions.get(line.pk) not in ("keep", "revoke")]
    if undecided:
        raise ValidationError(
            f"Decide every line before signing: {len(undecided)} line(s) undecided "
            f"(first: {undecided[0]})."
        )
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in={x.user_id for x in lines})}
    accounts = {a.pk: a for a in accounts_for(tenant=tenant)}
    role_revokes: list[AuditEntry] = []
    for line in lines:
        line.decision = decisions[line.pk]
        line.save(update_fields=["decision"])
        user = users.get(line.user_id)
        if line.decision != "revoke" or user is None:
            continue
        if line.kind == "grant" and line.account_id in accounts:
            grant_remove(
                actor=actor,
                user=user,
                accounts=[accounts[line.account_id]],
                perms=["view"],
                ip=ip,
                tenant=tenant,
            )
        elif line.kind == "role":
            user.groups.remove(*Group.objects.filter(name=line.role))
            role_revokes.append(
                AuditEntry(
                    actor=actor,
                    action="user.role_revoke",
                    target=f"user:{user.get_username()}",
                    details={"role": line.role, "review": review.period_label},
                    ip=ip,
                )
            )
    # One append for the review's role revocations, in line order.
    audit_records_append(entries=role_revokes)
    when = timezone.now()
    signer = actor.get_username()
    csv_data = _csv(review, lines)
    pdf_data = _pdf(review, lines, signer, when)
    review.csv.save("review.csv", ContentFile(csv_data), save=False)
    review.pdf.save("review.pdf", ContentFile(pdf_data), save=False)
    review.csv_sha256 = hashlib.sha256(csv_data).hexdigest()
    review.pdf_sha256 = hashlib.sha256(pdf_data).hexdigest()
    review.signed_at, review.signed_by_id, review.signed_by_username = when, actor.pk, signer
    review.save()
    audit_record(
        actor=actor,
        action="access_review.sign",
        target=f"access_review:{review.period_label}",
        details={
            "lines": len(lines),
            "revoked": sum(line.decision == "revoke" for line in lines),
            "pdf_sha256": review.pdf_sha256,
            "csv_sha256": review.csv_sha256,
        },
        ip=ip,
    )
    return review
