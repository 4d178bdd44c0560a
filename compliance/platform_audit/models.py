"""The public schema's audit chain (the ledger's writes and the operator's actions) and the
daily anchors of every chain, kept in the public schema, apart from the tenants' trails."""

from django.db import models

from compliance.audit_base import ChainedRecord


class PlatformAuditRecord(ChainedRecord):
    """Written by database triggers on the journal and the operator's admin log
    (`compliance.chain_sql`); append-only like a tenant's trail."""

    class Meta(ChainedRecord.Meta):
        pass


class AuditAnchor(models.Model):
    """The head of one chain at the end of one day (UTC): its seq and record hash. Written once,
    never changed (a trigger refuses UPDATE and DELETE), and printed in the month-end statement
    run's summary, so a later rewrite of a chain, even a consistent one, disagrees with an anchor
    somebody holds outside the database."""

    chain = models.CharField(
        max_length=63, help_text="The schema of the chain: public or a tenant's."
    )
    day = models.DateField()
    seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["chain", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "day"], name="audit_anchor_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.chain} {self.day} #{self.seq} {self.head_hash[:12]}"
