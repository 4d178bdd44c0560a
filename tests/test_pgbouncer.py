"""Tenancy behind PgBouncer in transaction mode (brokerportal.db_backend, "transaction pooling").

Two Django connections, one per tenant, share PgBouncer's single server connection. Without
`TRANSACTION_POOLING`, django-tenants' `SET search_path` and the statement after it are two
transactions, and tenant A's statement runs under the search path tenant B's SET left on the
server connection (the control case shows it). With it, every statement sees its own tenant's
schema and row-level-security setting, and the ORM reads only its own tenant's rows.
"""

import itertools
import threading

import pytest
from django.db import connection, connections
from django_tenants.utils import tenant_context

from brokerportal.db_backend.base import DatabaseWrapper
from tests.support import pgbouncer, pgcluster
from tests.support.liveserver import free_port

pytestmark = pytest.mark.skipif(not pgbouncer.available(), reason="pgbouncer is not installed")

_aliases = itertools.count()
PROBE = "SELECT current_schema(), current_setting('brokerportal.tenant')"


@pytest.fixture(scope="module")
def bouncer(django_db_setup):
    db = connection.settings_dict
    port = free_port()
    with pgbouncer.pgbouncer_serve(
        host=db.get("HOST") or "127.0.0.1",
        port=int(db.get("PORT") or 5432),
        listen_port=port,
        user=db.get("USER") or "postgres",
    ):
        yield port


def _pooled(port: int, *, pooling: bool) -> DatabaseWrapper:
    settings_dict = {
        **connection.settings_dict,
        "HOST": "127.0.0.1",
        "PORT": port,
        "CONN_MAX_AGE": 0,
        "TRANSACTION_POOLING": pooling,
        "DISABLE_SERVER_SIDE_CURSORS": True,
        "OPTIONS": {k: v for k, v in connection.settings_dict["OPTIONS"].items() if k != "options"},
    }
    alias = f"pooled_{next(_aliases)}"
    wrapper = DatabaseWrapper(settings_dict, alias=alias)
    connections[alias] = wrapper
    return wrapper


def _release(*wrappers) -> None:
    for wrapper in wrappers:
        wrapper.close()
        del connections[wrapper.alias]


def _interleaved(port: int, tenants, *, pooling: bool) -> list[tuple]:
    """A opens its cursor (django-tenants sets A's path), then B does, then A's statement runs."""
    a, b = _pooled(port, pooling=pooling), _pooled(port, pooling=pooling)
    try:
        a.set_tenant(tenants[0])
        b.set_tenant(tenants[1])
        with a.cursor() as cursor_a, b.cursor() as cursor_b:
            cursor_b.execute(PROBE)
            seen_b = cursor_b.fetchone()
            cursor_a.execute(PROBE)
            seen_a = cursor_a.fetchone()
        return [seen_a, seen_b]
    finally:
        _release(a, b)


def test_without_transaction_pooling_a_statement_can_run_under_another_tenants_path(
    bouncer, tenant_a, tenant_b
):
    seen_a, _ = _interleaved(bouncer, (tenant_a, tenant_b), pooling=False)
    assert seen_a == (tenant_b.schema_name, tenant_b.schema_name)


def test_with_transaction_pooling_every_statement_runs_under_its_own_tenant(
    bouncer, tenant_a, tenant_b
):
    seen_a, seen_b = _interleaved(bouncer, (tenant_a, tenant_b), pooling=True)
    assert seen_a == (tenant_a.schema_name, tenant_a.schema_name)
    assert seen_b == (tenant_b.schema_name, tenant_b.schema_name)


@pytest.fixture
def committed_tenants(django_db_setup, django_db_blocker):
    """Tenants A and B, read outside any test transaction (what is written with them commits)."""
    from tenants.models import Tenant

    with django_db_blocker.unblock():
        yield (
            Tenant.objects.get(schema_name="tenant_a"),
            Tenant.objects.get(schema_name="tenant_b"),
        )


def test_orm_reads_behind_the_pooler_stay_in_their_tenant(
    bouncer, committed_tenants, django_db_blocker
):
    """Committed users, one per tenant, read back alternately over two pooled connections that
    share one server connection, in autocommit and inside transactions."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    tenant_a, tenant_b = committed_tenants
    user_model = get_user_model()
    names = {}
    with django_db_blocker.unblock():
        for tenant in (tenant_a, tenant_b):
            with tenant_context(tenant):
                names[tenant.schema_name] = user_model.objects.create(
                    username=f"pooled-{tenant.schema_name}"
                ).username
        connection.set_schema_to_public()
    wrappers = {}
    try:
        for tenant in (tenant_a, tenant_b):
            wrappers[tenant.schema_name] = _pooled(bouncer, pooling=True)
            wrappers[tenant.schema_name].set_tenant(tenant)
        seen = []
        for _ in range(5):
            for tenant in (tenant_a, tenant_b):
                alias = wrappers[tenant.schema_name].alias
                seen.append(
                    (
                        tenant.schema_name,
                        set(
                            user_model.objects.using(alias)
                            .filter(username__startswith="pooled-")
                            .values_list("username", flat=True)
                        ),
                    )
                )
                with transaction.atomic(using=alias):
                    seen.append(
                        (
                            tenant.schema_name,
                            set(
                                user_model.objects.using(alias)
                                .filter(username__startswith="pooled-")
                                .values_list("username", flat=True)
                            ),
                        )
                    )
        for schema_name, usernames in seen:
            assert usernames == {names[schema_name]}
    finally:
        _release(*wrappers.values())
        with django_db_blocker.unblock():
            for tenant in (tenant_a, tenant_b):
                with tenant_context(tenant):
                    user_model.objects.filter(username__startswith="pooled-").delete()
            connection.set_schema_to_public()


def _clear_caches() -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    ContentType.objects.clear_cache()


@pytest.fixture
def default_through_pooler(django_db_setup, django_db_blocker):
    """The default connection goes through PgBouncer in transaction mode (one server connection
    for every client) to a private copy of the test database, in autocommit: what a request
    writes commits, and every statement of every client is its own pooled transaction. The copy
    is thrown away afterwards; the settings and caches are restored."""
    if not pgcluster.available():
        pytest.skip("PostgreSQL's server binaries are not installed")
    with django_db_blocker.unblock(), pgcluster.cluster_copy_of(connection.settings_dict) as made:
        listen_port = free_port()
        with pgbouncer.pgbouncer_serve(
            host="127.0.0.1", port=made.port, listen_port=listen_port, user="postgres"
        ):
            original = connection.settings_dict
            connection.close()
            connection.settings_dict = {
                **original,
                "HOST": "127.0.0.1",
                "PORT": listen_port,
                "NAME": made.dbname,
                "USER": "postgres",
                "CONN_MAX_AGE": 0,
                "TRANSACTION_POOLING": True,
                "DISABLE_SERVER_SIDE_CURSORS": True,
                "OPTIONS": {k: v for k, v in original["OPTIONS"].items() if k != "options"},
            }
            _clear_caches()
            try:
                yield connection.settings_dict
            finally:
                connection.close()
                connection.settings_dict = original
                _clear_caches()
                connection.set_schema_to_public()


def test_isolation_harness_through_the_pooler_finds_no_cross_tenant_read(
    default_through_pooler, django_db_blocker
):
    """The isolation harness (every route, every role, the other tenant's ids) through PgBouncer
    in transaction mode, while another client of the same pooler switches between the tenants
    on the one server connection: no page shows the other tenant's data, and the other client's
    every statement runs under its own tenant's schema and row-level-security setting."""
    from tenants.models import Tenant
    from tests.test_isolation_harness import harness_get

    with django_db_blocker.unblock():
        tenant_a = Tenant.objects.get(schema_name="tenant_a")
        tenant_b = Tenant.objects.get(schema_name="tenant_b")
        stop, noise_seen, noise_errors = threading.Event(), [], []

        def cycle_tenants():
            # a connection of its own, made in its thread (Django's connections are per thread)
            noise = DatabaseWrapper({**default_through_pooler}, alias="pooled_noise")
            connections["pooled_noise"] = noise
            try:
                while not stop.is_set():
                    for tenant in (tenant_a, tenant_b):
                        noise.set_tenant(tenant)
                        with noise.cursor() as cursor:
                            cursor.execute(PROBE)
                            seen = cursor.fetchone()
                        noise_seen.append(seen)
                        if seen != (tenant.schema_name, tenant.schema_name):
                            noise_errors.append((tenant.schema_name, seen))
            except Exception as error:  # noqa: BLE001 (reported by the assertion below)
                noise_errors.append(repr(error))
            finally:
                noise.close()
                del connections["pooled_noise"]

        thread = threading.Thread(target=cycle_tenants, daemon=True)
        thread.start()
        try:
            requested, failures = harness_get(tenant_a, tenant_b)
        finally:
            stop.set()
            thread.join(timeout=30)
    assert requested > 300
    assert failures == [], "\n".join(failures)
    assert noise_errors == []
    assert len(noise_seen) > 100
