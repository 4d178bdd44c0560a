import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context, tenant_context

from tenants.models import Domain, Tenant
from tenants.roles import SECURITY_OFFICER
from tenants.services import tenant_provision, tenant_set_status
from tests.support.tenants import login, tenant_client


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema]
        )
        return {row[0] for row in cursor.fetchall()}


def _structure(schema: str) -> tuple[set, set, set]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type, is_nullable, is_identity "
            "FROM information_schema.columns WHERE table_schema = %s",
            [schema],
        )
        columns = set(cursor.fetchall())
        cursor.execute(
            # names and uniqueness; PostgreSQL may deparse equivalent predicates differently
            "SELECT tablename, indexname, indexdef LIKE 'CREATE UNIQUE%%' "
            "FROM pg_indexes WHERE schemaname = %s",
            [schema],
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = %s",
            [schema],
        )
        constraints = {(t.split(".")[-1], name, kind) for t, name, kind in cursor.fetchall()}
    return columns, indexes, constraints


@pytest.mark.parametrize("snapshot", [True, False], ids=["snapshot", "clone-fallback"])
def test_provision_copies_the_template_without_running_migrations(db, snapshot):
    # given: the snapshot taken by migrate_all, or none (django-tenants' clone is used)
    from tenants.models import TemplateSnapshot

    if not snapshot:
        TemplateSnapshot.objects.all().delete()
    schema = f"copy_{'snap' if snapshot else 'clone'}"
    host = schema.replace("_", "-")
    # when
    with CaptureQueriesContext(connection) as queries:
        tenant = tenant_provision(
            name="Copy Test",
            schema_name=schema,
            domain=f"{host}.test",
            security_officer_email=f"so@{host}.test",
        )
    # then: the same tables, columns, indexes and constraints as the template
    template = settings.TENANT_BASE_SCHEMA
    assert len(_tables(template)) > 50
    assert _tables(schema) == _tables(template)
    columns, indexes, constraints = _structure(schema)
    template_columns, template_indexes, template_constraints = _structure(template)
    assert columns == template_columns
    if snapshot:  # the snapshot is exact; pg-clone-schema names some indexes its own way
        assert (indexes, constraints) == (template_indexes, template_constraints)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert ("clone_schema(" in sql) is (not snapshot)
    # no migration ran: nothing recorded a migration
    assert 'INSERT INTO "django_migrations"' not in sql
    with schema_context(schema):
        user = get_user_model().objects.get(username=f"so@{host}.test")
        assert list(user.groups.values_list("name", flat=True)) == [SECURITY_OFFICER]
        # sequences and identity columns carried over and count on from the template's rows
        second = get_user_model().objects.create_user("second@copy.test")
        assert second.pk == user.pk + 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM django_migrations")
            assert cursor.fetchone()[0] > 100
    assert tenant.get_primary_domain().domain == f"{host}.test"


def test_provision_refuses_taken_domain_and_leaves_nothing(db, tenant_a):
    # given
    before = Tenant.objects.count()
    # when / then
    with pytest.raises(ValidationError, match="already in use"):
        tenant_provision(
            name="Dup",
            schema_name="dup_schema",
            domain="tenant-a.test",
            security_officer_email="so@dup.test",
        )
    assert Tenant.objects.count() == before
    assert _tables("dup_schema") == set()


def test_provision_refuses_bad_schema_name(db):
    with pytest.raises(ValidationError, match="Invalid schema name"):
        tenant_provision(
            name="Bad",
            schema_name="Bad-Name; drop",
            domain="bad.test",
            security_officer_email="so@bad.test",
        )
    assert not Domain.objects.filter(domain="bad.test").exists()


def test_unknown_host_is_404(db):
    from django.test import Client

    response = Client(HTTP_HOST="nobody-here.test").get("/")
    assert response.status_code == 404


def test_suspended_tenant_gets_403_page(db, tenant_a):
    # given
    tenant_set_status(tenant=tenant_a, status=Tenant.Status.SUSPENDED)
    # when
    response = tenant_client(tenant_a).get("/login/")
    # then
    assert response.status_code == 403
    assert b"suspended" in response.content


def test_public_host_serves_admin_and_health_but_no_tenant_portal(db):
    from django.test import Client

    client = Client(HTTP_HOST="platform.localhost")
    assert client.get("/healthz").status_code == 200
    assert client.get("/admin/login/").status_code == 200
    assert client.get("/broker/").status_code == 404
    assert client.get("/login/").status_code == 404


def test_tenant_host_mounts_broker_portal_api_and_client_login(db, tenant_a):
    client = tenant_client(tenant_a)
    response = client.get("/broker/", follow=True)
    assert response.status_code == 200
    assert b"Sign in" in response.content
    login_page = client.get("/login/")
    assert login_page.status_code == 200
    assert tenant_a.name.encode() in login_page.content
    assert client.get("/api/v1/").status_code in {401, 403}


def test_session_cookie_of_tenant_a_does_not_authenticate_on_tenant_b(db, tenant_a, tenant_b):
    # given a logged-in client on A
    with tenant_context(tenant_a):
        user = get_user_model().objects.create_user("alice@a.test", password="x" * 16)
    client_a = login(tenant_client(tenant_a), user, tenant_a)
    assert client_a.get("/").status_code == 200
    # when the same cookie is presented on B's host
    client_b = tenant_client(tenant_b)
    client_b.cookies = client_a.cookies
    response = client_b.get("/")
    # then B treats it as anonymous
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_wagtail_page_of_tenant_a_is_invisible_from_tenant_b(db, tenant_a, tenant_b):
    from wagtail.models import Page, Site

    # given a page published in A
    with tenant_context(tenant_a):
        root = Site.objects.get(is_default_site=True).root_page
        page = Page(title="A only news", slug="a-only-news")
        root.add_child(instance=page)
        page.save_revision().publish()
    # when / then
    assert tenant_client(tenant_a).get("/pages/a-only-news/").status_code == 200
    assert tenant_client(tenant_b).get("/pages/a-only-news/").status_code == 404
    with tenant_context(tenant_b):
        assert not Page.objects.filter(slug="a-only-news").exists()


def test_cached_value_of_tenant_a_is_invisible_from_tenant_b(db, tenant_a, tenant_b):
    with tenant_context(tenant_a):
        cache.set("portal:greeting", "hello from A", 30)
    with tenant_context(tenant_b):
        assert cache.get("portal:greeting") is None
        cache.set("portal:greeting", "hello from B", 30)
    with tenant_context(tenant_a):
        assert cache.get("portal:greeting") == "hello from A"
        cache.delete("portal:greeting")
    with tenant_context(tenant_b):
        cache.delete("portal:greeting")


def test_cache_key_function_is_tenant_aware():
    assert settings.CACHES["default"]["KEY_FUNCTION"] == "django_tenants.cache.make_key"


def test_healthz_reports_database_and_broker(db, tenant_a):
    response = tenant_client(tenant_a).get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
