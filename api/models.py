"""Idempotency records of POSTs, in the tenant's schema."""

from django.db import models


class IdempotencyKey(models.Model):
    """The first response to a POST with an `Idempotency-Key`, kept 24 hours
    (api.idempotency). `fingerprint` is the SHA-256 of user, method, path and body: the same
    key with another request is refused."""

    key = models.CharField(max_length=255, unique=True)
    fingerprint = models.CharField(max_length=64)
    user_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)

    def __str__(self) -> str:
        return self.key
