"""Statements over the API: the user's own accounts' issued statements, the file after the
portal's access check, 404 for any other."""

import hashlib

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context
from guardian.shortcuts import assign_perm

from branding.tests.factories import statement_issued

from .conftest import key_client, key_for

pytestmark = pytest.mark.django_db


def test_a_client_lists_and_downloads_own_statements_only(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        mine, statement = statement_issued(tenant_a)
        _, other = statement_issued(tenant_a, title="Someone else")
        user = get_user_model().objects.create_user("stmt-reader", "s@example.com")
        assign_perm("ledger.view_account", user, mine)
    with tenant_context(tenant_b):
        _, foreign = statement_issued(tenant_b, title="Other tenant")
    client = key_client(tenant_a, key_for(tenant_a, user))
    listed = client.get("/api/v1/statements/").json()["results"]
    pdf = client.get(f"/api/v1/statements/{statement.pk}/download/pdf/")
    assert [s["id"] for s in listed] == [statement.pk]
    assert pdf.status_code == 200
    assert hashlib.sha256(b"".join(pdf.streaming_content)).hexdigest() == statement.pdf_sha256
    # (ids are per tenant schema: the other tenant's may equal one of ours)
    for refused in [other] + ([foreign] if foreign.pk != statement.pk else []):
        assert client.get(f"/api/v1/statements/{refused.pk}/download/pdf/").status_code == 404
