"""Compliance records of a tenant: the append-only audit trail, the tenant's security settings
and single-use invitations to the client portal."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

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


# API keys (django-rest-knox's token model, swapped in by settings.KNOX_TOKEN_MODEL).
from compliance.api_keys.models import ApiKey  # noqa: E402

__all__ = ["ApiKey", "AuditRecord", "Invitation", "SecuritySettings"]
