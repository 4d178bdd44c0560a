"""ASVS 5.0 V8.2.2 / V5.3.2 / V5.4.1: issued statements live in private storage, outside the
media tree that a web server serves at MEDIA_URL, and reach a client only through the
access-checked download view."""

import hashlib
import importlib
import os
import re
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.views.static import serve
from django_tenants.files.storage import TenantFileSystemStorage
from django_tenants.utils import tenant_context
from guardian.shortcuts import assign_perm

from branding.statement_models import IssuedStatement
from branding.tests.factories import statement_issued
from tests.support.tenants import login, tenant_client

FORMATS = ("pdf", "csv", "xml")
OCT = {
    "period_kind": "monthly",
    "period_start": date(2026, 10, 1),
    "period_end": date(2026, 10, 31),
}
migration = importlib.import_module("branding.migrations.0004_statements_private_storage")


def _issued(tenant, title="Zoë Łukasiewicz"):
    return statement_issued(tenant, title=title)


def _client_of(tenant, account, username):
    user = get_user_model().objects.create_user(username=username, email=f"{username}@x.test")
    if account is not None:
        assign_perm("ledger.view_account", user, account)
    return user


def _media_serves(name: str) -> bool:
    """What a web server that serves MEDIA_URL from MEDIA_ROOT would answer for `name`."""
    request = RequestFactory().get(settings.MEDIA_URL + name)
    try:
        serve(request, name, document_root=settings.MEDIA_ROOT)
    except Http404:
        return False
    return True


def _digests_under(folder: Path) -> set[str]:
    found = set()
    for root, _, files in os.walk(folder):
        for file in files:
            found.add(hashlib.sha256(Path(root, file).read_bytes()).hexdigest())
    return found


def test_v8_2_2_statement_files_are_not_under_media_root_and_only_the_download_view_serves_them(
    tenant_a, tenant_b
):
    with tenant_context(tenant_a):
        # given
        account, statement = _issued(tenant_a)
        client_user = _client_of(tenant_a, account, "zoe")
        media_root = Path(settings.MEDIA_ROOT).resolve()
        # then: no file of the statement is in the media tree, nor reachable under MEDIA_URL
        for fmt in FORMATS:
            field = getattr(statement, fmt)
            path = Path(field.path).resolve()
            assert path.is_file()
            assert not path.is_relative_to(media_root)
            assert not _media_serves(field.name)
            assert not _media_serves(f"{tenant_a.schema_name}/{field.name}")
            with pytest.raises(ValueError, match="no public URL"):
                _ = field.url
        claimed = {fmt: getattr(statement, f"{fmt}_sha256") for fmt in FORMATS}
        assert not set(claimed.values()) & _digests_under(media_root / tenant_a.schema_name)
        urls = {fmt: reverse("statements:download", args=[statement.pk, fmt]) for fmt in FORMATS}
    connection.set_schema_to_public()
    # when: the client downloads each format
    client = login(tenant_client(tenant_a), client_user, tenant_a)
    for fmt in FORMATS:
        response = client.get(urls[fmt])
        # then: the bytes it claims
        assert response.status_code == 200
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == claimed[fmt]
        assert response["Content-Disposition"] == (
            f'attachment; filename="{account.number}-activity-20261031-v1.{fmt}"'
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"
    # and another tenant's client gets 404 on their own host for the same statement
    with tenant_context(tenant_b):
        stranger = _client_of(tenant_b, None, "stranger")
    connection.set_schema_to_public()
    other_client = login(tenant_client(tenant_b), stranger, tenant_b)
    for fmt in FORMATS:
        assert other_client.get(urls[fmt]).status_code == 404


def test_v5_3_2_statement_paths_are_generated_with_a_random_component(tenant_a):
    with tenant_context(tenant_a):
        # given / when
        account, statement = _issued(tenant_a)
        _, other = _issued(tenant_a, title="Someone else")
    # then: one random folder per statement holds its three files
    folders = set()
    for fmt in FORMATS:
        name = getattr(statement, fmt).name
        assert re.fullmatch(
            rf"statements/{account.pk}/activity-20261001-20261031-v1-[0-9a-f]{{32}}/"
            rf"{account.number}-20261031\.{fmt}",
            name,
        ), name
        folders.add(name.rsplit("/", 1)[0])
    assert len(folders) == 1
    assert folders.pop().rsplit("-", 1)[1] != other.pdf.name.rsplit("/", 2)[1].rsplit("-", 1)[1]


def test_v5_4_1_statement_download_behind_nginx_is_an_internal_redirect(tenant_a, settings):
    # given: nginx serves the private root from an internal location
    settings.STATEMENTS_ACCEL_REDIRECT_PREFIX = "/_private/statements/"
    with tenant_context(tenant_a):
        account, statement = _issued(tenant_a)
        client_user = _client_of(tenant_a, account, "zoe")
        url = reverse("statements:download", args=[statement.pk, "pdf"])
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_a), client_user, tenant_a)
    # when
    response = client.get(url)
    # then: Django checked access and names the file; nginx sends the bytes
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_private/statements/tenant_a/{statement.pdf.name}"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{account.number}-activity-20261031-v1.pdf"'
    )
    assert response.content == b""


def test_v8_2_2_migration_moves_public_statement_files_and_leaves_rows_unchanged(tenant_a):
    with tenant_context(tenant_a):
        # given: two statements as issued before the migration, in the public media tree; one
        # has lost its CSV
        _, moved = _issued(tenant_a)
        _, partly = _issued(tenant_a, title="Someone else")
        public = TenantFileSystemStorage()
        for statement in (moved, partly):
            for fmt in FORMATS:
                field = getattr(statement, fmt)
                target = Path(public.path(field.name))
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(Path(field.path).read_bytes())
                os.remove(field.path)
        os.remove(public.path(partly.csv.name))
        before = list(IssuedStatement.objects.order_by("pk").values())
        # when
        report = migration.files_to_private(apps, None)
        again = migration.files_to_private(apps, None)
        # then: every file that existed is in private storage, none is left in the media tree
        for statement in (moved, partly):
            for fmt in FORMATS:
                field = getattr(statement, fmt)
                assert not os.path.exists(public.path(field.name))
                if field.name != partly.csv.name:
                    data = Path(field.path).read_bytes()
                    assert hashlib.sha256(data).hexdigest() == getattr(statement, f"{fmt}_sha256")
        mine = {s.pk: [getattr(s, f).name for f in FORMATS] for s in (moved, partly)}
        names = {name for group in mine.values() for name in group}
        assert set(report.moved) == names - {partly.csv.name}
        assert report.missing == [partly.csv.name]
        # and a second run moves nothing: moved files are skipped, the missing one reported
        assert set(again.moved) & names == set()
        assert set(again.already_moved) >= names - {partly.csv.name}
        assert again.missing == [partly.csv.name]
        # and the rows are as they were, still immutable
        assert list(IssuedStatement.objects.order_by("pk").values()) == before
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            IssuedStatement.objects.filter(pk=moved.pk).update(correction_reason="moved")
