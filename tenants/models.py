from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Tenant(TenantMixin):
    """An introducing broker or advisor firm; its data lives in its own PostgreSQL schema."""

    class Kind(models.TextChoices):
        INTRODUCING_BROKER = "introducing_broker", "Introducing broker"
        ADVISOR_FIRM = "advisor_firm", "Advisor firm"
        PLATFORM = "platform", "Platform operator"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField("display name", max_length=200)
    legal_name = models.CharField(max_length=300, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.INTRODUCING_BROKER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    # Schemas are cloned explicitly by tenant_provision inside its transaction.
    auto_create_schema = False
    auto_drop_schema = True

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Domain(DomainMixin):
    def __str__(self) -> str:
        return self.domain


class TemplateSnapshot(models.Model):
    """The replayable SQL of the migrated template schema (see tenants.snapshot)."""

    template_schema = models.CharField(max_length=63, unique=True)
    migrations_digest = models.CharField(max_length=64)
    sql = models.TextField()
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.template_schema} @ {self.migrations_digest[:12]}"


class TaskOutbox(models.Model):
    """A task to send to the broker, written in the transaction of the change that wants it
    (tenants.queue): the send survives a broker that is down at commit time; the relay
    (tenants.outbox) sends what is left once the broker answers again. In the public schema,
    so one relay scans one table for every tenant."""

    schema_name = models.CharField(max_length=63)
    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(sent_at__isnull=True), name="taskoutbox_unsent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.task} ({self.schema_name})"

    @property
    def task_id(self) -> str:
        """The Celery task id: the same row sent twice is the same task."""
        return f"outbox-{self.pk}"
