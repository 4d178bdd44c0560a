"""Every /api/v1/ route that takes an id, GET and POST, with the other tenant's ids, as a
superuser's key with every scope: 404 (405 where the route takes no POST), and nothing
written."""

import secrets

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from api.models import IdempotencyKey
from clientportal.models import Message, WithdrawalRequest
from events.models import Event, WebhookDelivery, WebhookEndpoint
from ledger.models import JournalEntry
from tests import isolation_routes as registry
from tests.test_isolation_harness import build_path, registry_entry, seed_tenant, tenant_routes

from .conftest import key_client, key_for

pytestmark = pytest.mark.django_db


def _written(tenant) -> tuple:
    with tenant_context(tenant):
        counts = tuple(
            m.objects.count()
            for m in (
                WithdrawalRequest,
                Message,
                Event,
                WebhookEndpoint,
                WebhookDelivery,
                IdempotencyKey,
            )
        )
    return (*counts, JournalEntry.objects.count())


def test_api_routes_with_the_other_tenants_ids_are_404_for_get_and_post(tenant_a, tenant_b):
    # given tenant B's objects of every kind, and a superuser key of tenant A
    nonce = secrets.token_hex(3)
    other = seed_tenant(tenant_b, "b", nonce)
    with tenant_context(tenant_a):
        staff = get_user_model().objects.create_superuser(
            f"iso-api-{nonce}", f"iso-{nonce}@probe.test", None, is_staff=True
        )
    client = key_client(
        tenant_a, key_for(tenant_a, staff, scopes=("read", "trade", "fund", "admin"))
    )
    routes = [
        r
        for r in tenant_routes()
        if r.route.startswith("api/")
        and r.has_args
        and not isinstance(registry_entry(r), registry.Skip)
    ]
    before = _written(tenant_b), _written(tenant_a)
    failures = []
    # when
    for route in routes:
        path = build_path(route, registry_entry(route), other)
        got = client.get(path)
        posted = client.post(
            path, {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"iso-{route.name}"
        )
        # then
        if got.status_code not in (404, 405):
            failures.append(f"GET {path}: {got.status_code}")
        if posted.status_code not in (404, 405):
            failures.append(f"POST {path}: {posted.status_code}")
        for answer in (got, posted):
            if any(m.lower() in answer.content.decode().lower() for m in other.markers):
                failures.append(f"{path}: shows the other tenant's data")
    assert len(routes) >= 20
    assert failures == [], "\n".join(failures)
    assert (_written(tenant_b), _written(tenant_a)) == before
