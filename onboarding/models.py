"""Account applications, their documents, transitions, check overrides, the watch list and bulk
imports. Tenant schema; `Application.account` points at the shared ledger."""

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from .storage import private_document_storage


class Application(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In review"
        NEEDS_INFORMATION = "needs_information", "Needs information"
        APPROVED = "approved", "Approved"
        OPENED = "opened", "Opened"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class ApplicantType(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        JOINT = "joint", "Joint"
        IRA = "ira", "IRA"
        ENTITY = "entity", "Entity"

    class Source(models.TextChoices):
        SELF_SERVICE = "self_service", "Self-service"
        STAFF = "staff", "Staff"
        BULK = "bulk", "Bulk import"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(max_length=64, blank=True, default="")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.STAFF)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)

    applicant_type = models.CharField(
        max_length=16, choices=ApplicantType.choices, default=ApplicantType.INDIVIDUAL
    )
    first_name = models.CharField(max_length=100, blank=True, default="")
    middle_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    entity_name = models.CharField(max_length=200, blank=True, default="")
    date_of_birth = models.DateField(null=True, blank=True)
    citizenship = models.CharField(max_length=2, blank=True, default="")
    tax_residency = models.CharField(max_length=2, blank=True, default="")
    tax_id = models.CharField(max_length=32, blank=True, default="")

    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=20, blank=True, default="")
    address_line1 = models.CharField(max_length=200, blank=True, default="")
    address_line2 = models.CharField(max_length=200, blank=True, default="")
    city = models.CharField(max_length=100, blank=True, default="")
    region = models.CharField(max_length=100, blank=True, default="")
    postal_code = models.CharField(max_length=20, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="")

    employment_status = models.CharField(max_length=16, blank=True, default="")
    employer = models.CharField(max_length=200, blank=True, default="")
    occupation = models.CharField(max_length=100, blank=True, default="")
    annual_income = models.DecimalField(max_digits=17, decimal_places=2, null=True, blank=True)
    net_worth = models.DecimalField(max_digits=17, decimal_places=2, null=True, blank=True)
    liquid_net_worth = models.DecimalField(max_digits=17, decimal_places=2, null=True, blank=True)
    objectives = models.JSONField(default=list, blank=True)
    experience = models.JSONField(default=dict, blank=True)  # asset class -> years
    trading_permissions = models.JSONField(default=list, blank=True)

    base_currency = models.CharField(max_length=3, default="USD")
    margin_type = models.CharField(max_length=8, default="cash")
    master_account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disclosures_version = models.CharField(max_length=32, blank=True, default="")
    disclosures_accepted_at = models.DateTimeField(null=True, blank=True)
    # The tenant's disclosure pages shown at submission: [{"page": id, "title", "version"}].
    disclosures_acknowledged = models.JSONField(default=list, blank=True)

    # Results of the automatic checks: {name: {"passed": bool, "message": str}}.
    checks = models.JSONField(default=dict, blank=True)
    checks_failed = models.BooleanField(default=False)
    checks_run_at = models.DateTimeField(null=True, blank=True)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_applications",
    )
    account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="applications",
    )
    bulk_import = models.ForeignKey(
        "BulkImport", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="application_external_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(liquid_net_worth__isnull=True)
                | Q(net_worth__isnull=True)
                | Q(liquid_net_worth__lte=models.F("net_worth")),
                name="application_liquid_within_net_worth",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["tax_id"]),
            models.Index(fields=["email"]),
            # The Broker Portal's account search by part of the holder's e-mail.
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="application_email_trgm"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.display_name}"

    @property
    def display_name(self) -> str:
        person = " ".join(p for p in (self.first_name, self.last_name) if p)
        return self.entity_name or person or self.email or "(unnamed)"


class ApplicationTransition(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(max_length=20)
    to_state = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True, default="")
    reason = models.TextField(blank=True, default="")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"#{self.application_id} {self.from_state} -> {self.to_state}"


class CheckOverride(models.Model):
    """A Compliance Officer's written decision to let a failed check pass."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="overrides")
    check_name = models.CharField(max_length=32)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "check_name"], name="override_once_per_check"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"#{self.application_id} {self.check_name} overridden"


def _document_path(instance, filename: str) -> str:
    return f"onboarding/{instance.application.public_id}/{uuid.uuid4().hex}"


class ApplicationDocument(models.Model):
    class Kind(models.TextChoices):
        IDENTITY = "identity", "Proof of identity"
        PROOF_OF_ADDRESS = "proof_of_address", "Proof of address"
        OTHER = "other", "Other"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to=_document_path, storage=private_document_storage)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"#{self.application_id} {self.kind} {self.original_name}"


class WatchListEntry(models.Model):
    """One name (and date of birth, when known) from the list a Compliance Officer uploaded."""

    name = models.CharField(max_length=200)
    date_of_birth = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=200, blank=True, default="")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "watch list entries"

    def __str__(self) -> str:
        return self.name


class BulkImport(models.Model):
    class Status(models.TextChoices):
        REFUSED = "refused", "Refused"
        IMPORTED = "imported", "Imported"

    file_name = models.CharField(max_length=200)
    file_format = models.CharField(max_length=4)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    existing = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # ["row 3: date_of_birth ...", ...]
    report_csv = models.TextField(blank=True, default="")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"
