"""The audit trail is append-only in the database."""

import pytest
from django.db import DatabaseError, transaction
from django_tenants.utils import tenant_context

from compliance.models import AuditRecord
from compliance.services import audit_record


def test_audit_record_refuses_update_and_delete(tenant_a):
    # given
    with tenant_context(tenant_a):
        record = audit_record(actor=None, action="test.event", target="x", details={"n": 1})
        # when / then
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditRecord.objects.filter(pk=record.pk).update(action="changed")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditRecord.objects.filter(pk=record.pk).delete()
        stored = AuditRecord.objects.get(pk=record.pk)
    assert (stored.action, stored.target, stored.details) == ("test.event", "x", {"n": 1})
