"""The production settings' headers, cookies and transport rules (OWASP ASVS 5.0 V3.3, V3.4,
V4.1, V12.2), on real responses.

The production settings module is imported in a subprocess (it refuses to load without its
environment); the values it computes are then applied here with override_settings, so every
assertion is about a response the production configuration would send.
"""

import json

import pytest
from csp.constants import NONCE
from django.test import Client, override_settings

from tests.support.factories import PASSWORD, user_make
from tests.support.tenants import login, tenant_client

from .test_settings_and_health import PRODUCTION_HOSTS, _import_production

PRODUCTION_KEYS = (
    "CONTENT_SECURITY_POLICY",
    "PERMISSIONS_POLICY",
    "MIDDLEWARE",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_DOMAIN",
    "SESSION_COOKIE_PATH",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_DOMAIN",
    "CSRF_COOKIE_PATH",
)
NONCE_MARK = "__csp_nonce__"
HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}

READ_PRODUCTION = f"""
import json
import django
django.setup()
from csp.constants import NONCE
from django.conf import settings

def plain(value):
    if value is NONCE:
        return {NONCE_MARK!r}
    if isinstance(value, dict):
        return {{k: plain(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value

print(json.dumps({{key: plain(getattr(settings, key)) for key in {PRODUCTION_KEYS!r}}}))
"""


def _restore(value):
    if value == NONCE_MARK:
        return NONCE
    if isinstance(value, dict):
        return {k: _restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v) for v in value]
    return value


@pytest.fixture(scope="module")
def production_values() -> dict:
    result = _import_production(READ_PRODUCTION, DEBUG="0", SECRET_KEY="s" * 50, **PRODUCTION_HOSTS)
    assert result.returncode == 0, result.stderr
    values = {key: _restore(value) for key, value in json.loads(result.stdout).items()}
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


@pytest.fixture
def production(production_values):
    with override_settings(**production_values):
        yield production_values


def _directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_v3_4_3_production_csp_allows_no_inline_script(production, tenant_a):
    # when the client portal's dashboard and the login page are served over HTTPS
    user = user_make(tenant=tenant_a, username="csp-client", roles=["Client"])
    dashboard = login(tenant_client(tenant_a), user, tenant_a).get("/", **HTTPS)
    anonymous = tenant_client(tenant_a).get("/login/", **HTTPS)
    # then both carry a policy with scripts from our origin or the response's nonce only
    for response in (dashboard, anonymous):
        assert response.status_code == 200
        policy = _directives(response["Content-Security-Policy"])
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
        assert policy["script-src"][0] == "'self'"
        assert policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"]
        assert policy["default-src"] == ["'self'"]
        assert "upgrade-insecure-requests" in policy
    nonce = _directives(dashboard["Content-Security-Policy"])["script-src"][1:]
    assert len(nonce) == 1 and nonce[0].startswith("'nonce-")
    # the portal's script, a file of our origin, carries the response's nonce
    assert f'portal.js" nonce="{nonce[0][7:-1]}"'.encode() in dashboard.content


def test_v3_4_3_production_csp_on_the_broker_portal_and_the_operator_admin(production, tenant_a):
    staff = user_make(tenant=tenant_a, username="csp-staff", roles=["Security Officer"])
    broker = login(tenant_client(tenant_a), staff, tenant_a).get("/broker/", **HTTPS)
    operator = Client(HTTP_HOST="platform.localhost").get("/admin/login/", **HTTPS)
    for response in (broker, operator):
        assert response.status_code == 200
        policy = _directives(response["Content-Security-Policy"])
        assert "'unsafe-inline'" not in policy["script-src"]
        assert policy["frame-ancestors"] == ["'none'"]


def test_v3_4_6_production_csp_forbids_framing_except_wagtail_previews(production, tenant_a):
    staff = user_make(tenant=tenant_a, username="csp-framing", roles=["Security Officer"])
    client = login(tenant_client(tenant_a), staff, tenant_a)
    page = client.get("/broker/", **HTTPS)
    preview = client.get("/broker/pages/1/edit/preview/", **HTTPS)
    assert _directives(page["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    assert _directives(preview["Content-Security-Policy"])["frame-ancestors"] == ["'self'"]


def test_v3_4_1_production_hsts_covers_subdomains_for_a_year(production, tenant_a):
    response = tenant_client(tenant_a).get("/login/", **HTTPS)
    hsts = [part.strip() for part in response["Strict-Transport-Security"].split(";")]
    assert hsts[0] == "max-age=31536000"
    assert "includeSubDomains" in hsts


def test_v3_3_3_production_cookies_use_the_host_prefix(production, tenant_a):
    # given a login whose password step starts a session
    user = user_make(tenant=tenant_a, username="cookie-user", roles=["Client"])
    client = tenant_client(tenant_a)
    # when the login page and the password step are answered
    page = client.get("/login/", **HTTPS)
    step = client.post("/login/", {"username": user.username, "password": PASSWORD}, **HTTPS)
    # then both cookies are __Host- cookies: Secure, Path=/, no Domain
    assert step.status_code == 302
    csrf = page.cookies["__Host-csrftoken"]
    session = step.cookies["__Host-sessionid"]
    for cookie in (csrf, session):
        assert cookie["secure"] is True
        assert cookie["path"] == "/"
        assert cookie["domain"] == ""
        assert cookie["samesite"] == "Lax"
    assert session["httponly"] is True
    assert "sessionid" not in step.cookies and "csrftoken" not in page.cookies


def test_v3_4_4_and_v3_4_5_production_nosniff_and_referrer_policy(production, tenant_a):
    response = tenant_client(tenant_a).get("/login/", **HTTPS)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_v3_4_permissions_policy_switches_off_unused_browser_features(production, tenant_a):
    # (ASVS 5.0 has no requirement of its own for Permissions-Policy; it hardens V3.4's headers)
    response = tenant_client(tenant_a).get("/login/", **HTTPS)
    features = dict(part.split("=") for part in response["Permissions-Policy"].split(", "))
    assert features["camera"] == "()"
    assert features["microphone"] == "()"
    assert features["geolocation"] == "()"
    assert features["payment"] == "()"
    assert "publickey-credentials-get" not in features  # WebAuthn stays on our origin


def test_v12_2_1_production_redirects_http_to_https_except_the_health_check(production, tenant_a):
    client = tenant_client(tenant_a)
    page = client.get("/login/")
    health = client.get("/healthz")
    assert page.status_code == 301
    assert page["Location"] == f"https://{tenant_a.get_primary_domain().domain}/login/"
    assert health.status_code == 200


def test_v4_1_2_production_api_over_http_is_refused_not_redirected(production, tenant_a):
    client = tenant_client(tenant_a)
    plain = client.get("/api/v1/")
    secure = client.get("/api/v1/", **HTTPS)
    assert plain.status_code == 403
    assert plain.json() == {"detail": "The API answers over HTTPS only."}
    assert secure.status_code in {401, 403}
    assert secure.json() != {"detail": "The API answers over HTTPS only."}
