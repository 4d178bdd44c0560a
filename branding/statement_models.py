"""Issued statements and the runs that issue them, in the tenant's schema.

An issued statement is immutable: its files and their SHA-256 digests are written once (the
database refuses UPDATE of the row, migration `statement_immutable`), in private per-tenant
storage outside the media tree (`branding.storage`); a correction is a new version that names
the one it replaces. At most one row exists per account, kind, period and version, which is
what makes a re-run of a month-end produce only what is missing.
"""

import secrets

from django.db import models
from django.db.models import Q

from branding.storage import private_statement_storage

STATEMENT_KINDS = [
    ("activity", "Activity statement"),
    ("confirmation", "Trade confirmation"),
    ("gains", "Realized gains and losses"),
]
PERIOD_KINDS = [
    ("daily", "Daily"),
    ("monthly", "Monthly"),
    ("annual", "Annual"),
    ("custom", "Custom"),
]


class StatementRun(models.Model):
    """Issuing one kind of statement for every account of the tenant over one period."""

    kind = models.CharField(max_length=16, choices=STATEMENT_KINDS, default="activity")
    period_kind = models.CharField(max_length=8, choices=PERIOD_KINDS)
    period_start = models.DateField()
    period_end = models.DateField()
    total = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    # The last time somebody (re)started it; a plain user id (users live in this schema).
    started_by_id = models.BigIntegerField(null=True, blank=True)
    restarted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period_start", "period_end"], name="statement_run_unique_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="statement_run_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start} – {self.period_end}"


def _statement_path(instance: "IssuedStatement", filename: str) -> str:
    """`statements/<account>/<kind>-<start>-<end>-v<version>-<random>/<filename>`; the private
    storage adds the schema in front. The random part (one per statement, shared by its three
    files) keeps the path unguessable even to someone who can list account ids and periods."""
    token = getattr(instance, "_path_token", None)
    if token is None:
        token = instance._path_token = secrets.token_hex(16)
    return (
        f"statements/{instance.account_id}/{instance.kind}-{instance.period_start:%Y%m%d}-"
        f"{instance.period_end:%Y%m%d}-v{instance.version}-{token}/{filename}"
    )


class IssuedStatement(models.Model):
    account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=16, choices=STATEMENT_KINDS, default="activity")
    period_kind = models.CharField(max_length=8, choices=PERIOD_KINDS)
    period_start = models.DateField()
    period_end = models.DateField()
    version = models.PositiveIntegerField(default=1)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    correction_reason = models.CharField(max_length=300, blank=True)
    run = models.ForeignKey(
        StatementRun, on_delete=models.PROTECT, null=True, blank=True, related_name="statements"
    )
    pdf = models.FileField(
        upload_to=_statement_path, storage=private_statement_storage, max_length=300
    )
    pdf_sha256 = models.CharField(max_length=64)
    csv = models.FileField(
        upload_to=_statement_path, storage=private_statement_storage, max_length=300
    )
    csv_sha256 = models.CharField(max_length=64)
    xml = models.FileField(
        upload_to=_statement_path, storage=private_statement_storage, max_length=300
    )
    xml_sha256 = models.CharField(max_length=64)
    ending_value = models.DecimalField(max_digits=28, decimal_places=8)
    currency = models.CharField(max_length=3)
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "account_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind", "period_start", "period_end", "version"],
                name="issued_statement_unique_version",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="issued_statement_version"),
            models.CheckConstraint(
                condition=Q(version=1, replaces__isnull=True)
                | Q(version__gt=1, replaces__isnull=False),
                name="issued_statement_correction_names_replaced",
            ),
        ]
        indexes = [models.Index(fields=["run", "account"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.account_id} {self.period_end} v{self.version}"


class StatementFailure(models.Model):
    """The last error of an account in a run; removed when the account's statement is issued."""

    run = models.ForeignKey(StatementRun, on_delete=models.CASCADE, related_name="failures")
    account = models.ForeignKey("ledger.Account", on_delete=models.CASCADE, related_name="+")
    error = models.TextField()
    failed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="statement_failure_unique")
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} account {self.account_id}: {self.error[:60]}"


class StatementDelivery(models.Model):
    """That the client was told by e-mail: kept apart so the issued row is never updated."""

    statement = models.OneToOneField(
        IssuedStatement, on_delete=models.CASCADE, related_name="delivery"
    )
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"statement {self.statement_id} to {self.recipients}"
