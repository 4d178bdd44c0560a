"""Compliance records of a tenant: the append-only audit trail, the tenant's security settings
and single-use invitations to the client portal."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from branding.storage import private_statement_storage
from compliance.audit_base import ChainedRecord


class AuditRecord(ChainedRecord):
    """Who did what, to what, when and from which IP, in the tenant's own chain. Rows are never
    changed or deleted: a database trigger refuses UPDATE and DELETE (see migration 0002); the
    chain (migration 0005) makes an edit by someone who can switch the trigger off detectable."""

    class Meta(ChainedRecord.Meta):
        indexes = [models.Index(fields=["target", "created_at"])]


class SecuritySettings(models.Model):
    """One row per tenant schema: the tenant's choices for client logins. Staff always need a
    second factor and have the fixed idle timeout of settings.STAFF_IDLE_TIMEOUT_S."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    client_2fa_required = models.BooleanField(
        default=True, help_text="Clients must confirm a second factor at every login."
    )
    client_idle_timeout_minutes = models.PositiveSmallIntegerField(
        default=30, help_text="Clients are logged out after this many idle minutes."
    )
    absolute_session_hours = models.PositiveSmallIntegerField(
        default=12, help_text="Every session ends this many hours after login."
    )
    passkey_login_allowed = models.BooleanField(
        default=False,
        help_text=(
            "Users may sign in with a passkey alone, without their password (the passkey "
            "checks a PIN or fingerprint on the device)."
        ),
    )

    records_retention_years = models.PositiveSmallIntegerField(
        default=6,
        help_text=(
            "Issued statements, confirmations, reports and signed reviews are kept this many "
            "years; the database refuses to delete them sooner (SEC Rule 17a-4(b): six years "
            "for these records)."
        ),
    )

    access_review_months = models.PositiveSmallIntegerField(
        default=3,
        help_text="Staff roles and account grants are reviewed every this many months.",
    )

    class Meta:
        verbose_name = "security settings"
        verbose_name_plural = "security settings"
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="securitysettings_singleton"),
            models.CheckConstraint(
                condition=Q(
                    client_idle_timeout_minutes__gte=1, client_idle_timeout_minutes__lte=720
                ),
                name="securitysettings_idle_range",
            ),
            models.CheckConstraint(
                condition=Q(absolute_session_hours__gte=1, absolute_session_hours__lte=72),
                name="securitysettings_absolute_range",
            ),
            models.CheckConstraint(
                condition=Q(records_retention_years__gte=6, records_retention_years__lte=50),
                name="securitysettings_retention_range",
            ),
            models.CheckConstraint(
                condition=Q(access_review_months__in=[1, 2, 3, 4, 6, 12]),
                name="securitysettings_review_interval",
            ),
        ]

    def __str__(self) -> str:
        return "Security settings"


class Invitation(models.Model):
    """A single-use, expiring link by which a new client login sets its password and enrols its
    second factor. Only a hash of the token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.user_id}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


def _review_path(instance: "AccessReview", filename: str) -> str:
    return f"access_reviews/{instance.period_label}-{secrets.token_hex(8)}/{filename}"


class AccessReview(models.Model):
    """The periodic review of every staff user's roles and account grants (quarterly unless the
    tenant set another interval): assigned to a Security Officer, decided line by line, and
    effective when signed. A signed review is immutable (a trigger refuses UPDATE of it, and
    DELETE within the retention period): its PDF, CSV and their SHA-256s are the evidence."""

    period_label = models.CharField(max_length=64, unique=True)  # e.g. 2026-Q4, 2026-H2
    period_start = models.DateField()
    due_on = models.DateField()
    assigned_to_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by_id = models.BigIntegerField(null=True, blank=True)
    signed_by_username = models.CharField(max_length=150, blank=True)
    pdf = models.FileField(
        upload_to=_review_path, storage=private_statement_storage, max_length=300, blank=True
    )
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    csv = models.FileField(
        upload_to=_review_path, storage=private_statement_storage, max_length=300, blank=True
    )
    csv_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True)
                | ~Q(pdf_sha256="") & ~Q(csv_sha256="") & Q(signed_by_id__isnull=False),
                name="access_review_signed_with_evidence",
            )
        ]

    def __str__(self) -> str:
        return f"Access review {self.period_label}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class AccessReviewLine(models.Model):
    """One thing to decide: a user's role, or a user's direct rights on one account."""

    KINDS = [("role", "Role"), ("grant", "Account grant")]
    DECISIONS = [("", "Undecided"), ("keep", "Keep"), ("revoke", "Revoke")]

    review = models.ForeignKey(AccessReview, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(max_length=8, choices=KINDS)
    user_id = models.BigIntegerField()
    username = models.CharField(max_length=150)
    role = models.CharField(max_length=64, blank=True)
    account_id = models.BigIntegerField(null=True, blank=True)
    account_number = models.CharField(max_length=32, blank=True)
    rights = models.CharField(max_length=64, blank=True)
    decision = models.CharField(max_length=8, choices=DECISIONS, blank=True)

    class Meta:
        ordering = ["username", "kind", "role", "account_number"]

    def __str__(self) -> str:
        what = self.role if self.kind == "role" else f"{self.rights} on {self.account_number}"
        return f"{self.username}: {what}"


class DisclosureAcceptance(models.Model):
    """That a client accepted one version of one disclosure page: who, when, from which
    address, and the SHA-256 of the text they were shown. Append-only (a trigger refuses
    UPDATE and DELETE)."""

    user_id = models.BigIntegerField(db_index=True)
    username = models.CharField(max_length=150)
    page_id = models.BigIntegerField()
    version = models.CharField(max_length=20, blank=True)
    content_sha256 = models.CharField(max_length=64)
    accepted_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "page_id", "content_sha256"],
                name="disclosure_acceptance_once_per_text",
            )
        ]

    def __str__(self) -> str:
        return f"{self.username} accepted page {self.page_id} v{self.version}"


# API keys (django-rest-knox's token model, swapped in by settings.KNOX_TOKEN_MODEL).
from compliance.api_keys.models import ApiKey  # noqa: E402

__all__ = [
    "AccessReview",
    "AccessReviewLine",
    "ApiKey",
    "AuditRecord",
    "DisclosureAcceptance",
    "Invitation",
    "SecuritySettings",
]
