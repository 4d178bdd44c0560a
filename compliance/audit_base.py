"""The fields of an audit record of a chain (`compliance.chain_sql`): shared by each tenant's
trail and the public schema's."""

from django.db import models
from django.utils import timezone


class ChainedRecord(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A plain reference plus the username at the time: the trail outlives the user row.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Filled by the database's chain trigger (never by Django: a database default keeps the
    # columns out of Django's INSERT and brings the trigger's values back with RETURNING).
    seq = models.BigIntegerField(db_default=0, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, db_default="", editable=False)
    record_hash = models.CharField(max_length=64, db_default="", editable=False)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"
