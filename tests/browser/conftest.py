"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium, never a downloaded
browser) against a real gunicorn serving the test database with committed data.

One browser and one logged-in session serve every test; the data is removed afterwards.
Tenant hosts (tenant-a.test) resolve to loopback through Chromium's host resolver rules.
"""

import contextlib
import os
import shutil
import time
from pathlib import Path

import pytest
from django.db import connection

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP *.test 127.0.0.1, MAP *.localhost 127.0.0.1",
]
DEMO_HOSTS = ("northwind.localhost", "harbor.localhost", "platform.localhost")
BASE_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = BASE_DIR / "artifacts" / "screenshots"
PASSWORD = "browser-pass-2026-x"  # test-only credential of a throwaway user
# The e-mails the browser tests' server sends, where a journey reads its links from.
EMAILS = BASE_DIR / "artifacts" / "browser-emails.log"


def pytest_collection_modifyitems(items):
    """Browser tests are marked, and run last: the demo they log into stays committed until
    the session ends, and no other test should see it."""
    here = Path(__file__).parent
    browser = [item for item in items if here in Path(item.fspath).parents]
    for item in browser:
        item.add_marker(pytest.mark.browser)
    if browser:
        chosen = set(map(id, browser))
        items[:] = [item for item in items if id(item) not in chosen] + browser


@pytest.fixture(scope="session")
def portal_data(django_db_setup, django_db_blocker):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from tenants.models import Tenant
    from tests.support.clientportal import portal_fixture_create, portal_fixture_purge

    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(schema_name="tenant_a")
        fixture = portal_fixture_create(
            tenant=tenant, prefix=f"br{os.getpid()}", positions=12, password=PASSWORD
        )
        connection.set_schema_to_public()
    try:
        yield fixture
    finally:
        with django_db_blocker.unblock():
            portal_fixture_purge(fixture)
            connection.set_schema_to_public()


@pytest.fixture(scope="session")
def portal_url(portal_data, django_db_blocker):
    """http://tenant-a.test:<port> served by gunicorn (2 workers) on the test database."""
    from tests.support.liveserver import gunicorn_serve

    log = BASE_DIR / "artifacts" / "gunicorn-browser.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    EMAILS.unlink(missing_ok=True)
    mail = {"TEST_EMAIL_LOG_FILE": str(EMAILS)}
    with (
        django_db_blocker.unblock(),
        gunicorn_serve(workers=2, log_path=log, extra_env=mail) as (_, port),
    ):
        yield f"http://tenant-a.test:{port}"


@pytest.fixture(scope="session")
def browser(portal_url):
    """Playwright's sync API keeps an event loop running in this thread; Django's guard against
    ORM calls from async code would trip on it although every call here is synchronous."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            # Production serves HTTPS; over the test's plain HTTP, treat the tenant origin as
            # secure so Chromium does not warn about headers meant for secure origins (COOP).
            port = portal_url.rsplit(":", 1)[1]
            origins = ",".join([portal_url, *(f"http://{host}:{port}" for host in DEMO_HOSTS)])
            secure = f"--unsafely-treat-insecure-origin-as-secure={origins}"
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, secure]
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def demo_site(portal_url, django_db_blocker):
    """The demo (small size) committed in the test database; `demo_site(host)` is the base URL
    of a demo host on the test server (northwind, harbor, platform)."""
    from tests.support.demo import demo_site_create, demo_site_purge

    with django_db_blocker.unblock():
        site = demo_site_create()
    port = portal_url.rsplit(":", 1)[1]
    try:
        yield lambda name: f"http://{name}.localhost:{port}"
    finally:
        with django_db_blocker.unblock():
            demo_site_purge(site)
            connection.set_schema_to_public()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


def totp_now(hex_key: str) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(bytes.fromhex(hex_key), step=30, t0=0, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"


@pytest.fixture(scope="session")
def login_result(browser, portal_url, portal_data):
    """Log in through the real pages once: password, then the TOTP code. Returns the context
    (its cookies are the session of every later test) and what the login showed."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.route("**/static/**", serve_static)
    page = context.new_page()
    errors = console_errors(page)
    page.goto(f"{portal_url}/login/")
    login_page_title = page.title()
    page.fill("#id_username", portal_data.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/auth/verify/**")
    page.fill("#id_code", totp_now(portal_data.totp_key))
    page.click("button:has-text('Continue')")
    page.wait_for_load_state("networkidle")
    result = {
        "context": context,
        "login_title": login_page_title,
        "landed_on": page.url,
        "heading": page.inner_text("h1"),
        "errors": errors,
    }
    page.close()
    yield result
    context.close()


def console_errors(page) -> list[str]:
    """Console errors and uncaught exceptions of `page`, collected as they happen."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def serve_static(route) -> None:
    """gunicorn does not serve static files (the proxy in front does, in production): the browser
    gets them from the static finders through Playwright's request routing."""
    import mimetypes

    from django.contrib.staticfiles import finders

    relative = route.request.url.split("/static/", 1)[1].split("?", 1)[0]
    found = finders.find(relative)
    if not found:
        route.fulfill(status=404, body="")
        return
    content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
    route.fulfill(status=200, body=Path(found).read_bytes(), content_type=content_type)


@contextlib.contextmanager
def committed_staff_with_totp(tenant, django_db_blocker, *, prefix, password, **fields):
    """A committed staff login with a confirmed TOTP device, made outside any test transaction so
    the server sees it; yields (user, device key) and removes the user afterwards."""
    import secrets

    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_tenants.utils import tenant_context

    username = f"{prefix}-{secrets.token_hex(3)}@example.com"
    groups = fields.pop("groups", ())
    with django_db_blocker.unblock(), tenant_context(tenant):
        user = get_user_model().objects.create_user(
            username=username, email=username, password=password, is_staff=True, **fields
        )
        if groups:
            from django.contrib.auth.models import Group

            user.groups.add(*Group.objects.filter(name__in=groups))
        device = TOTPDevice.objects.create(user=user, name="browser", confirmed=True)
    connection.set_schema_to_public()
    try:
        yield user, device.key
    finally:
        with django_db_blocker.unblock(), tenant_context(tenant):
            get_user_model().objects.filter(pk=user.pk).delete()
        connection.set_schema_to_public()
