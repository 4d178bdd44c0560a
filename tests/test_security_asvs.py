"""OWASP ASVS 5.0 Level 2: the operator's second factor and timeouts, the operator's host, the
demo logins kept out of production, settings that fail closed, and pages that need no script the
Content-Security-Policy would block. Each test is named after the requirement it proves; the
production header checks live in tenants/tests/test_security_headers.py."""

import base64
import json
import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.db import connection, transaction
from django.test import Client, override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context, tenant_context

from compliance.sessions import AUTH_AT, LAST_SEEN
from tenants.models import Tenant
from tests.support.factories import PASSWORD, account_make, user_make
from tests.support.tenants import login, tenant_client

PLATFORM = "platform.localhost"


# --- helpers --------------------------------------------------------------------------------


def _public_tenant() -> Tenant:
    return Tenant.objects.get(schema_name="public")


def _operator_make(username: str = "ops@platform.test", *, totp: bool = True):
    with schema_context("public"):
        user = get_user_model().objects.create_user(
            username=username,
            email=username,
            password=PASSWORD,
            is_staff=True,
            is_superuser=True,
        )
        if totp:
            TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return user


def _code(key: bytes, at: float | None = None) -> str:
    generator = TOTP(key, step=30, digits=6)
    generator.time = time.time() if at is None else at
    return f"{generator.token():06d}"


def _device(user) -> TOTPDevice:
    with schema_context("public"):
        return TOTPDevice.objects.get(user=user, confirmed=True)


def _session_stamp(client: Client, **stamps) -> None:
    """Rewrite the public-host session's time stamps (sessions live in the public schema)."""
    with schema_context("public"):
        session = client.session
        session.update(stamps)
        session.save()


# --- 1. the operator's admin: second factor, timeouts, tenant field ---------------------------


def test_v6_3_3_operator_password_only_session_is_sent_to_the_second_factor(db):
    # given an operator who passed the password step only
    user = _operator_make()
    client = login(Client(HTTP_HOST=PLATFORM), user, _public_tenant(), verified=False)
    # when the admin and one of its change lists are asked for
    index = client.get("/admin/")
    tenants = client.get("/admin/tenants/tenant/")
    # then both go to the second-factor step, which asks for the code
    assert index.status_code == 302
    assert index["Location"] == "/operator/verify/?next=%2Fadmin%2F"
    assert tenants["Location"] == "/operator/verify/?next=%2Fadmin%2Ftenants%2Ftenant%2F"
    step = client.get(index["Location"])
    assert step.status_code == 200
    assert b'name="code"' in step.content


def test_v6_3_3_operator_verified_session_gets_into_the_admin(db):
    # given
    user = _operator_make()
    client = login(Client(HTTP_HOST=PLATFORM), user, _public_tenant())
    # when
    response = client.get("/admin/tenants/tenant/")
    # then
    assert response.status_code == 200
    assert b"Tenant A Securities" in response.content


def test_v6_3_3_operator_second_factor_step_accepts_the_current_code_once(db):
    # given a password-only session and the operator's authenticator
    user = _operator_make()
    device = _device(user)
    client = login(Client(HTTP_HOST=PLATFORM), user, _public_tenant(), verified=False)
    code = _code(device.bin_key)
    # when the current code is entered
    right = client.post("/operator/verify/", {"code": code, "next": "/admin/"})
    # then it opens the admin
    assert right.status_code == 302 and right["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # and the same code does not verify a second session
    other = login(Client(HTTP_HOST=PLATFORM), user, _public_tenant(), verified=False)
    again = other.post("/operator/verify/", {"code": code, "next": "/admin/"})
    assert again.status_code == 200
    assert b"This code is not valid" in again.content
    assert other.get("/admin/")["Location"].startswith("/operator/verify/")


def test_v6_3_3_operator_second_factor_step_refuses_a_wrong_code(db):
    # given
    user = _operator_make()
    code = _code(_device(user).bin_key)
    client = login(Client(HTTP_HOST=PLATFORM), user, _public_tenant(), verified=False)
    # when
    wrong = client.post("/operator/verify/", {"code": "000000" if code != "000000" else "111111"})
    # then the step is shown again and the admin stays closed
    assert wrong.status_code == 200
    assert b"This code is not valid" in wrong.content
    assert client.get("/admin/")["Location"] == "/operator/verify/?next=%2Fadmin%2F"


def test_v6_3_3_operator_created_from_the_shell_logs_in_with_password_and_totp(db):
    # given an operator created by the command, with the authenticator it printed
    out = StringIO()
    call_command(
        "operator_create",
        "new-ops@platform.test",
        "--password-stdin",
        stdin=StringIO("an-operator-pass-2026-x\n"),
        stdout=out,
    )
    uri = re.search(r"otpauth://\S+", out.getvalue()).group(0)
    query = parse_qs(urlsplit(uri).query)
    secret = query["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    client = Client(HTTP_HOST=PLATFORM)
    # when the operator logs in through the admin's page, then the second step
    password_step = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": "new-ops@platform.test",
            "password": "an-operator-pass-2026-x",
            "next": "/admin/",
        },
        follow=True,
    )
    second_step = client.post("/operator/verify/", {"code": _code(key), "next": "/admin/"})
    # then
    assert password_step.redirect_chain == [
        ("/admin/", 302),
        ("/operator/verify/?next=%2Fadmin%2F", 302),
    ]
    assert query["issuer"] == ["Broker Portal operator"]
    assert second_step["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_v6_3_3_operator_create_refuses_a_weak_password_and_creates_nothing(db):
    with pytest.raises(CommandError, match="too short"):
        call_command(
            "operator_create",
            "weak@platform.test",
            "--password-stdin",
            stdin=StringIO("short\n"),
            stdout=StringIO(),
        )
    with schema_context("public"):
        assert not get_user_model().objects.filter(username="weak@platform.test").exists()


def test_v6_3_1_operator_login_locks_after_repeated_wrong_passwords(db):
    # given an operator and five wrong passwords
    _operator_make()
    client = Client(HTTP_HOST=PLATFORM)
    wrong = {"username": "ops@platform.test", "password": "not-the-password-1"}
    for _ in range(5):
        assert client.post("/admin/login/", wrong).status_code == 200
    # when the sixth is wrong too, then the right password is entered
    sixth = client.post("/admin/login/", wrong)
    right = client.post("/admin/login/", {**wrong, "password": PASSWORD})
    # then the login is locked, on a page the public schema can render
    assert sixth.status_code == 429
    assert b"This login is locked" in sixth.content
    assert right.status_code == 429
    assert SESSION_KEY not in client.session


def test_v7_3_1_operator_session_ends_after_the_idle_timeout(db):
    # given a verified operator session, last seen 16 minutes ago (limit 15)
    user = _operator_make()
    client = login(Client(HTTP_HOST=PLATFORM), user, _public_tenant())
    assert client.get("/admin/").status_code == 200
    _session_stamp(client, **{LAST_SEEN: int(time.time()) - 16 * 60})
    # when
    response = client.get("/admin/")
    # then the session is over and the admin asks for the password again
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    with schema_context("public"):
        assert SESSION_KEY not in client.session


def test_v7_3_2_operator_session_ends_after_the_absolute_timeout(db):
    # given a verified operator session, active, but logged in 13 hours ago (limit 12)
    user = _operator_make()
    client = login(Client(HTTP_HOST=PLATFORM), user, _public_tenant())
    assert client.get("/admin/").status_code == 200
    _session_stamp(client, **{AUTH_AT: int(time.time()) - 13 * 3600})
    # when
    response = client.get("/admin/")
    # then
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_v8_4_1_ledger_account_tenant_is_read_only_in_the_operator_admin(db, tenant_a, tenant_b):
    # given a verified operator and an account of tenant A
    account = account_make(tenant=tenant_a)
    client = login(Client(HTTP_HOST=PLATFORM), _operator_make(), _public_tenant())
    url = f"/admin/ledger/account/{account.pk}/change/"
    # when the change form is shown and posted with tenant B
    form = client.get(url)
    saved = client.post(
        url,
        {
            "number": account.number,
            "title": "Renamed by the operator",
            "account_type": account.account_type,
            "base_currency": account.base_currency,
            "margin_type": account.margin_type,
            "status": account.status,
            "tenant": tenant_b.pk,
            "parent": "",
        },
    )
    # then the form has no tenant or parent input, the title changed and the owner did not
    assert form.status_code == 200
    assert b'name="tenant"' not in form.content
    assert b'name="parent"' not in form.content
    assert saved.status_code == 302
    account.refresh_from_db()
    assert account.title == "Renamed by the operator"
    assert account.tenant_id == tenant_a.pk


def test_v3_5_4_operator_admin_answers_only_on_the_platform_host(db):
    # given localhost, another host name of the public schema
    other = Client(HTTP_HOST="localhost")
    platform = Client(HTTP_HOST=PLATFORM)
    # when / then: the admin only on the platform host; health on both
    assert other.get("/admin/login/").status_code == 404
    assert other.get("/").status_code == 404
    assert other.get("/healthz").status_code == 200
    assert platform.get("/admin/login/").status_code == 200
    with override_settings(PLATFORM_HOST="localhost"):
        assert other.get("/admin/login/").status_code == 200
        assert platform.get("/admin/login/").status_code == 404


# --- 2. the demo logins stay out of production --------------------------------------------


def test_v6_3_3_demo_operator_logs_in_with_the_demo_password_and_derived_code(db):
    # given the demo's operator
    from demo.compliance import demo_totp_key
    from demo.seed import DEMO_OPERATOR, DEMO_PASSWORD, demo_operator_ensure

    demo_operator_ensure()
    out = StringIO()
    call_command("demo_totp", "public", DEMO_OPERATOR, stdout=out, stderr=StringIO())
    client = Client(HTTP_HOST=PLATFORM)
    # when
    client.post("/admin/login/", {"username": DEMO_OPERATOR, "password": DEMO_PASSWORD})
    verified = client.post("/operator/verify/", {"code": out.getvalue().strip()})
    # then
    with schema_context("public"):
        device = TOTPDevice.objects.get(user__username=DEMO_OPERATOR)
    assert device.key == demo_totp_key("public", DEMO_OPERATOR)
    assert verified["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # and `brokerportal logins` lists the operator with the tenants' logins
    listing = StringIO()
    call_command("brokerportal", "logins", stdout=listing)
    assert f"Operator             {DEMO_OPERATOR}" in listing.getvalue()
    assert "http://platform.localhost:8000/admin/" in listing.getvalue()


def test_v6_3_2_demo_commands_refuse_without_demo_allowed(db):
    from demo.seed import DEMO_OPERATOR, demo_operator_ensure

    # given production's setting
    with override_settings(DEMO_ALLOWED=False):
        # when / then
        for argv in (("brokerportal", "demo"), ("brokerportal", "bootstrap")):
            with pytest.raises(CommandError, match="DEMO_ALLOWED is off"):
                call_command(*argv, stdout=StringIO())
        with pytest.raises(CommandError, match="DEMO_ALLOWED is off"):
            call_command("demo_totp", "public", DEMO_OPERATOR, stdout=StringIO())
        with pytest.raises(ImproperlyConfigured, match="DEMO_ALLOWED is off"):
            demo_operator_ensure()
    # and nothing was created
    with schema_context("public"):
        assert not get_user_model().objects.filter(username=DEMO_OPERATOR).exists()
    assert not Tenant.objects.filter(schema_name__in=["northwind", "harbor"]).exists()


def test_v6_3_2_production_start_refuses_while_a_demo_login_exists(db, monkeypatch):
    from brokerportal import startup
    from demo.checks import demo_logins_check
    from demo.seed import DEMO_OPERATOR
    from tenants.services import tenant_provision

    # the start closes its connections for forked workers; here that would end the test's
    # transaction
    monkeypatch.setattr(startup.connections, "close_all", lambda: None)
    with override_settings(DEMO_ALLOWED=False):
        # given no demo login: nothing to refuse
        assert demo_logins_check() == []
        startup.serving_refuse_if_unsafe()
        # when the demo operator and a demo tenant's security officer exist
        _operator_make(DEMO_OPERATOR, totp=False)
        tenant_provision(
            name="Northwind Securities",
            schema_name="northwind",
            domain="northwind.test",
            security_officer_email="security@northwind.example",
        )
        connection.set_schema_to_public()
        errors = demo_logins_check()
        # then the deployment check, `check --deploy` and the server start refuse
        assert [e.id for e in errors] == ["brokerportal.E001"]
        assert "public:operator@platform.example" in errors[0].msg
        assert "northwind:security@northwind.example" in errors[0].msg
        # (by its tag: deployment checks run in no fixed order, and drf-spectacular's leaves a
        # failed query in the test's transaction, which a later check could not query past)
        with pytest.raises(SystemCheckError, match="brokerportal.E001"), transaction.atomic():
            call_command(
                "check", "--deploy", "--tag", "demo_logins", stdout=StringIO(), stderr=StringIO()
            )
        with pytest.raises(ImproperlyConfigured, match="brokerportal.E001"):
            startup.serving_refuse_if_unsafe()
    # and with the demo allowed (development) the same database starts
    assert demo_logins_check() == []


# --- 3. settings fail closed ----------------------------------------------------------------


def _python(code: str, **env_values) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env.update(
        DATABASE_URL=(
            f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:"
            f"{db.get('PORT') or 5432}/{db['NAME']}"
        ),
        **env_values,
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


REPORT_SETTINGS = (
    "from django.conf import settings; import json; "
    "print(json.dumps([settings.SETTINGS_MODULE, settings.DEBUG]))"
)
ENTRY_POINTS = {
    "wsgi": f"import runpy; runpy.run_path('brokerportal/wsgi.py'); {REPORT_SETTINGS}",
    "asgi": f"import runpy; runpy.run_path('brokerportal/asgi.py'); {REPORT_SETTINGS}",
    "celery": f"import brokerportal.celery, django; django.setup(); {REPORT_SETTINGS}",
}


@pytest.mark.parametrize("entry_point", list(ENTRY_POINTS))
def test_v13_4_2_server_and_worker_entry_points_default_to_production(db, entry_point):
    # given no DJANGO_SETTINGS_MODULE, but the values production needs
    env = {"SECRET_KEY": "p" * 50, "ALLOWED_HOSTS": PLATFORM, "PLATFORM_HOST": PLATFORM}
    # when the entry point starts
    result = _python(ENTRY_POINTS[entry_point], **env)
    # then it runs the production settings, DEBUG off
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "brokerportal.settings.production",
        False,
    ]


def test_v13_4_2_server_without_settings_fails_closed(db):
    # given no DJANGO_SETTINGS_MODULE and no production values
    result = _python(ENTRY_POINTS["wsgi"])
    # then it refuses instead of serving the development settings
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


# --- 4. pages carry no script the Content-Security-Policy would block ----------------------


class _ScriptAudit(HTMLParser):
    """Inline scripts without the response's nonce, and inline event handlers (on…=)."""

    EXECUTABLE_TYPES = {"", "text/javascript", "module", "application/javascript"}

    def __init__(self, nonce: str | None):
        super().__init__()
        self.nonce = nonce
        self.blocked: list[str] = []
        self._inline = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        handlers = [name for name, _ in attrs if name.startswith("on")]
        if handlers:
            self.blocked.append(f"<{tag} {' '.join(handlers)}>")
        if tag == "script" and "src" not in values:
            executable = (values.get("type") or "").lower() in self.EXECUTABLE_TYPES
            if executable and (self.nonce is None or values.get("nonce") != self.nonce):
                self._inline = ""

    def handle_data(self, data):
        if self._inline is not None:
            self._inline += data

    def handle_endtag(self, tag):
        if tag == "script" and self._inline is not None:
            self.blocked.append(f"<script>{self._inline.strip()[:80]}</script>")
            self._inline = None


def _script_src(policy: str) -> list[str]:
    for directive in policy.split(";"):
        name, *values = directive.split()
        if name == "script-src":
            return values
    return []


def _blocked_scripts(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    nonces = [v[len("'nonce-") : -1] for v in _script_src(policy) if v.startswith("'nonce-")]
    audit = _ScriptAudit(nonces[0] if nonces else None)
    audit.feed(response.content.decode())
    return audit.blocked


def _staff_superuser(tenant):
    user = user_make(tenant=tenant, username="csp-admin@example.com", is_staff=True)
    with tenant_context(tenant):
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    connection.set_schema_to_public()
    return user


def test_v3_4_3_broker_portal_pages_carry_no_script_the_policy_would_block(tenant_a):
    # given a superuser of the Broker Portal and a content page with a publishing schedule
    from wagtail.models import Page, Site

    user = _staff_superuser(tenant_a)
    with tenant_context(tenant_a):
        root = Site.objects.get(is_default_site=True).root_page
        page = root.add_child(instance=Page(title="CSP page", slug="csp-page"))
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_a), user, tenant_a)
    pages = [
        "/broker/",
        f"/broker/pages/{page.pk}/edit/",  # date-time inputs, page chooser in the settings
        f"/broker/pages/{root.pk}/",
        "/broker/settings/branding/brand/",  # image chooser (logo)
        "/broker/images/",
        "/broker/documents/",
        "/broker/reports/site-history/",  # date filters
        "/broker/security/audit/",
        "/broker/sites/",
        "/broker/users/",
    ]
    # when each is rendered
    blocked, statuses = {}, {}
    for path in pages:
        response = client.get(path, follow=True)
        statuses[path] = response.status_code
        found = _blocked_scripts(response)
        if found:
            blocked[path] = found
    # then every page renders and carries no inline script without the nonce
    assert statuses == dict.fromkeys(pages, 200)
    assert blocked == {}


def test_v3_4_3_client_portal_and_operator_pages_carry_no_script_the_policy_would_block(
    tenant_a,
):
    # given
    from tests.support.clientportal import portal_fixture_create

    fixture = portal_fixture_create(tenant=tenant_a, prefix="csp", positions=2, password=PASSWORD)
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_a), fixture.user, tenant_a)
    operator = login(Client(HTTP_HOST=PLATFORM), _operator_make(), _public_tenant())
    # when
    responses = {
        "/": client.get("/"),
        "/positions/": client.get("/positions/"),
        "/login/ (anonymous)": tenant_client(tenant_a).get("/login/"),
        "operator /admin/": operator.get("/admin/"),
        "operator /admin/ledger/account/": operator.get("/admin/ledger/account/"),
        "operator /admin/login/": Client(HTTP_HOST=PLATFORM).get("/admin/login/"),
    }
    # then
    assert {k: r.status_code for k, r in responses.items()} == dict.fromkeys(responses, 200)
    assert {k: _blocked_scripts(r) for k, r in responses.items()} == dict.fromkeys(responses, [])
    # and the account selector's script carries the nonce
    dashboard = responses["/"]
    assert b'portal.js" nonce="' in dashboard.content
    assert "'nonce-" in dashboard["Content-Security-Policy"]
