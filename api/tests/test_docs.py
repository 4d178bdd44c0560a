"""The OpenAPI schema and its browsable reference: for logged-in users of the tenant only, the
reference served from drf-spectacular-sidecar's bundled files (no CDN)."""

import pytest

from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client

pytestmark = pytest.mark.django_db


def test_docs_are_bundled_and_for_logged_in_users(tenant_a):
    user = user_make(tenant=tenant_a, username="docs-reader", roles=["Viewer"], totp=True)
    client = login(tenant_client(tenant_a), user, tenant_a)
    docs = client.get("/api/v1/docs/")
    schema = client.get("/api/v1/schema/?format=json")
    html = docs.content.decode()
    assert docs.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert schema.json()["openapi"].startswith("3.1")
    assert "/api/v1/accounts/{id}/performance/" in schema.json()["paths"]
    assert tenant_client(tenant_a).get("/api/v1/docs/").status_code == 401
