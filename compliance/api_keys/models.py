"""The API key row (settings.KNOX_TOKEN_MODEL = "compliance.ApiKey")."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from knox.models import AbstractAuthToken, AuthTokenManager

SCOPES = ("read", "trade", "fund", "admin")
SCOPE_CHOICES = [
    ("read", "Read: every GET the user may do"),
    ("trade", "Trade: blocks, fills, allocations, executions"),
    ("fund", "Fund: deposits, withdrawals, journals"),
    ("admin", "Admin: applications, exceptions, webhooks"),
]


class ApiKey(AbstractAuthToken):
    """One key of one user. `digest` (the primary key) is the SHA-512 of the secret; `token_key`
    its first 15 characters, to find candidates and to name the key on screens."""

    objects = AuthTokenManager()

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="auth_token_set"
    )
    name = models.CharField(max_length=100)
    scopes = ArrayField(models.CharField(max_length=8, choices=SCOPE_CHOICES))
    allowed_networks = ArrayField(models.CharField(max_length=49), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    # The user's confirmed second factor at creation (django-otp persistent id).
    second_factor = models.CharField(max_length=100)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=100, blank=True)

    class Meta:
        app_label = "compliance"
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(condition=models.Q(expiry__isnull=False), name="apikey_expires"),
            models.CheckConstraint(
                condition=models.Q(scopes__contained_by=list(SCOPES)) & ~models.Q(scopes=[]),
                name="apikey_scopes_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…)"

    @property
    def active(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and self.expiry is not None and self.expiry > timezone.now()
