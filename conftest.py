"""Shared test set-up: one test database per run, the template schema migrated once, and two
tenants (A and B) cloned from it once per session.

Rules for tests in this project:
- Request a tenant host with `tests.support.tenants.tenant_client(tenant)`; log in with
  `tests.support.tenants.login(client, user, tenant)` (sessions live in the tenant's schema).
- Create tenant-side rows inside `tenant_context(tenant)` (or use the `in_tenant_a` fixture).
- Do not use `transaction=True` / TransactionTestCase: its flush truncates the shared tenant table.
  Tests that need real commits (concurrency, worker processes) use the `committed_db` fixture and
  remove what they created.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context

from tests.support.workers import celery_environment_clear

# Celery reads its broker variables from the environment ahead of any configuration: this process
# sends only to the brokers its tests name, whatever the caller exported.
celery_environment_clear()

TENANT_A = {"name": "Tenant A Securities", "schema_name": "tenant_a", "domain": "tenant-a.test"}
TENANT_B = {"name": "Tenant B Advisors", "schema_name": "tenant_b", "domain": "tenant-b.test"}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After pytest-django created and migrated the shared schema: the template, then A and B."""
    from tenants.models import Tenant
    from tenants.services import tenant_provision

    with django_db_blocker.unblock():
        call_command("migrate_all", verbosity=0)
        for spec, kind in ((TENANT_A, "introducing_broker"), (TENANT_B, "advisor_firm")):
            if Tenant.objects.filter(schema_name=spec["schema_name"]).exists():
                continue  # --reuse-db
            tenant_provision(
                **spec,
                kind=kind,
                country="US",
                security_officer_email=f"security@{spec['domain']}",
            )
        connection.set_schema_to_public()


def _tenant(schema_name):
    from tenants.models import Tenant

    return Tenant.objects.get(schema_name=schema_name)


@pytest.fixture
def tenant_a(db):
    return _tenant(TENANT_A["schema_name"])


@pytest.fixture
def tenant_b(db):
    return _tenant(TENANT_B["schema_name"])


@pytest.fixture
def in_tenant_a(tenant_a):
    with tenant_context(tenant_a):
        yield tenant_a
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _public_schema_after_test():
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _caches_empty_after_test():
    """Test transactions roll back, caches do not: nothing a test cached (host lookups,
    security settings, unread counts, brands, portal figures) outlives it."""
    yield
    from django.core.cache import caches

    from tenants.middleware import tenant_lookups_clear

    tenant_lookups_clear()
    for alias in ("default", "ledger"):
        caches[alias].clear()


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """Real commits for tests that need them; the test removes its own rows."""
    with django_db_blocker.unblock():
        yield
    connection.set_schema_to_public()
