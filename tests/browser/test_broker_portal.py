"""The Broker Portal (Wagtail's admin) in a real browser under the site's Content-Security-Policy:
staff log in with password and TOTP, and the admin's pages run without a console error (a script
the policy refused would be one), their widgets started without inline scripts
(brokerportal.wagtail_csp).

gunicorn does not serve static files (the proxy in front does, in production); the browser gets
them from the static finders through Playwright's request routing.
"""

import pytest

from .axe import axe_blocking, axe_report, axe_run
from .conftest import committed_staff_with_totp, console_errors, serve_static, totp_now

pytestmark = pytest.mark.django_db

STAFF_PASSWORD = "broker-browser-pass-2026"  # test-only credential of a throwaway user


@pytest.fixture(scope="session")
def staff_login(portal_data, django_db_blocker):
    """A committed Broker Portal superuser with a confirmed TOTP device; removed afterwards."""
    with committed_staff_with_totp(
        portal_data.tenant,
        django_db_blocker,
        prefix="csp-staff",
        password=STAFF_PASSWORD,
        is_superuser=True,
    ) as login:
        yield login


@pytest.fixture(scope="session")
def broker_context(browser, portal_url, staff_login):
    user, key = staff_login
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/static/**", serve_static)
    page = context.new_page()
    page.goto(f"{portal_url}/broker/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/auth/verify/**")
    page.fill("#id_code", totp_now(key))
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/broker/")
    page.close()
    yield context
    context.close()


def test_v3_4_3_broker_portal_pages_run_under_the_policy(
    broker_context, portal_url, portal_data, screenshots
):
    page_id = portal_data.page_ids[0]
    pages = {
        "dashboard": "/broker/",
        "page-edit": f"/broker/pages/{page_id}/edit/",
        "brand": "/broker/settings/branding/brand/",
        "images": "/broker/images/",
        "site-history": "/broker/reports/site-history/",
        "audit": "/broker/security/audit/",
    }
    problems, started = {}, {}
    page = broker_context.new_page()
    errors = console_errors(page)
    for name, path in pages.items():
        response = page.goto(f"{portal_url}{path}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=screenshots / f"broker-{name}.png", full_page=True)
        started[name] = page.evaluate(
            "[...document.querySelectorAll('[data-bp-init]')]"
            ".map(e => [e.dataset.bpInit, e.bpStarted === true])"
        )
        violations = axe_run(page)
        axe_report(f"broker {name}", violations)
        blocking = axe_blocking(violations)
        if response.status != 200 or errors or blocking:
            problems[name] = {
                "status": response.status,
                "errors": list(errors),
                "axe": [(v["id"], v["impact"], v["nodes"]) for v in blocking],
            }
        errors.clear()
    # the page editor's publishing schedule: its date-time input has its picker
    page.goto(f"{portal_url}/broker/pages/{page_id}/edit/")
    picker = page.evaluate(
        "(() => { const input = document.getElementById('id_go_live_at');"
        " return !!input && typeof jQuery(input).data('xdsoft_datetimepicker') === 'object'; })()"
    )
    # the brand's logo: Wagtail's image chooser widget is attached to its element
    page.goto(f"{portal_url}/broker/settings/branding/brand/")
    chooser = page.evaluate("!!(document.getElementById('id_logo-chooser') || {}).widget")
    page.close()
    # then
    assert problems == {}
    assert ["initDateTimeChooser", True] in started["page-edit"]
    assert ["ImageChooser", True] in started["brand"]
    assert all(ok for found in started.values() for _, ok in found)
    assert picker is True
    assert chooser is True
