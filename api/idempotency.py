"""`Idempotency-Key` on POSTs, with Stripe's semantics.

The first POST with a key runs and its response (status and body) is stored with the key, in
the same transaction as the change it made; the same key with the same request (user, method,
path and body) within 24 hours gets that response again, marked `Idempotent-Replayed: true`,
and changes nothing; the same key with another request is 422. Two concurrent requests with one
key are serialised by the key's row: the second one's INSERT waits on the first one's
uncommitted row, then reads the stored response (PostgreSQL's unique check blocks on the
in-progress insert). A 5xx stores nothing (the transaction rolls back), so the call may be
retried with its key; so may a call refused before it ran (401, 403, 404, 405, 429).
"""

import hashlib
import json
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from rest_framework.response import Response

from .errors import Unprocessable
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)
# Answers given before the request ran (access and limits): not stored, the key stays unused.
# (A 5xx is not stored either: its transaction rolls back.)
NOT_AN_OUTCOME = frozenset({401, 403, 404, 405, 429}) | frozenset(range(500, 600))


class Replayed(Exception):
    def __init__(self, record: IdempotencyKey):
        self.record = record


def fingerprint(request) -> str:
    digest = hashlib.sha256()
    for part in (str(request.user.pk), request.method, request.get_full_path()):
        digest.update(part.encode() + b"\0")
    try:
        body = request._request.body
    except RawPostDataException:
        # A form body already read by a middleware: its parsed fields stand for it.
        body = json.dumps(
            {k: request.POST.getlist(k) for k in sorted(request.POST)}
            | {k: [f.name, f.size] for k, f in sorted(request.FILES.items())},
            sort_keys=True,
        ).encode()
    digest.update(body)
    return digest.hexdigest()


def idempotency_begin(*, request, key: str) -> IdempotencyKey:
    """Claim `key` for this request (inside the request's transaction) or raise Replayed with
    the stored response; Unprocessable when the key belongs to another request."""
    if not 1 <= len(key) <= 255:
        raise Unprocessable("An Idempotency-Key has 1 to 255 characters.")
    print_ = fingerprint(request)
    IdempotencyKey.objects.filter(key=key, created_at__lt=timezone.now() - RETENTION).delete()
    IdempotencyKey.objects.bulk_create(
        [IdempotencyKey(key=key, fingerprint=print_, user_id=request.user.pk)],
        ignore_conflicts=True,
    )
    record = IdempotencyKey.objects.select_for_update().get(key=key)
    if record.fingerprint != print_:
        raise Unprocessable(
            "This Idempotency-Key was used for another request; use a new key for a new request."
        )
    if record.completed:
        raise Replayed(record)
    return record


def idempotency_finish(*, record: IdempotencyKey, response) -> None:
    record.completed = True
    record.status_code = response.status_code
    record.response = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
    record.save(update_fields=["completed", "status_code", "response"])


class IdempotentMixin:
    """For API views: POSTs with the header run in one transaction with their record."""

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and request.headers.get(HEADER):
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._idempotency = None
        key = request.headers.get(HEADER)
        if request.method == "POST" and key:
            self._idempotency = idempotency_begin(request=request, key=key)

    def handle_exception(self, exc):
        if isinstance(exc, Replayed):
            response = Response(exc.record.response, status=exc.record.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        record = getattr(self, "_idempotency", None)
        if record is not None:
            if response.status_code in NOT_AN_OUTCOME or not hasattr(response, "data"):
                record.delete()  # refused before anything ran: the key stays free
            else:
                idempotency_finish(record=record, response=response)
            self._idempotency = None
        return super().finalize_response(request, response, *args, **kwargs)
