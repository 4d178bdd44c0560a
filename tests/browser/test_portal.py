"""The client portal in a real browser: login with password and TOTP, figures, every page at
two widths without console errors (with screenshots), and a refused withdrawal."""

from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from .axe import axe_blocking, axe_report, axe_run
from .conftest import PASSWORD, console_errors, serve_static

# The marker makes pytest-django set up the test database; the data the server shows is
# committed by the session fixtures, the tests themselves only read.
pytestmark = pytest.mark.django_db

WIDTHS = {"desktop": (1366, 900), "mobile": (375, 812)}
PAGES = {
    "dashboard": "/",
    "positions": "/positions/",
    "positions-etf-filter": "/positions/?class=STK&sort=-pnl",
    "positions-by-currency": "/positions/?group=currency",
    "performance": "/performance/",
    "performance-ytd": "/performance/?range=YTD",
    "cash": "/cash/",
    "transfers": "/transfers/",
    "withdrawal": "/transfers/withdraw/",
    "activity": "/activity/",
    "statements": "/statements/",
    "messages": "/messages/",
    "info": "/info/",
    "consolidated": "/?account=all",
    "trade": "/trade/",
    "trade-search": "/trade/?q=P",
    "orders": "/orders/",
    "orders-filled": "/orders/?state=filled",
    "dashboard-nav-1y": "/?range=1Y",
    "security": "/security/",
    "disclosures": "/disclosures/",
}
# The pages a visitor sees before logging in.
ANONYMOUS_PAGES = {
    "login": "/login/",
    "password-reset": "/auth/reset/",
    "apply": "/apply/",
    "offline": "/auth/offline/",
}


def test_client_logs_in_with_password_and_totp(login_result, portal_url):
    # then the second step accepted the code and the portal's dashboard opened
    assert login_result["landed_on"] == f"{portal_url}/"
    assert login_result["heading"].startswith("U")  # the account's number heads the dashboard
    assert login_result["errors"] == []


def test_dashboard_figures_equal_the_ledger_valuation(
    login_result, portal_url, portal_data, django_db_blocker
):
    # given the ledger's valuation of the account
    from ledger.selectors import account_valuation

    with django_db_blocker.unblock(), tenant_context(portal_data.tenant):
        valuation = account_valuation(tenant=portal_data.tenant, account=portal_data.account)
    connection.set_schema_to_public()
    # when the dashboard of that account is shown
    page = login_result["context"].new_page()
    page.goto(f"{portal_url}/?account={portal_data.account.pk}")
    shown = {
        name: page.inner_text(f'[data-figure="{name}"]')
        for name in (
            "nlv",
            "settled_cash",
            "buying_power",
            "excess_liquidity",
            "daily_pnl",
            "unrealized_pnl",
            "realized_pnl",
        )
    }
    page.close()
    # then every figure is the ledger's, to the cent
    assert shown == {name: f"{getattr(valuation, name):,.2f}" for name in shown}
    # and the ledger's numbers are the ones the fixture implies: 12 × 5 @ 90 bought, closes
    # 100…111 today and 99…110 yesterday, 1.00 commission per trade, which is part of each
    # lot's cost (IRS Publication 550, basis of purchased property)
    assert valuation.unrealized_pnl == Decimal(5 * sum(range(100, 112)) - 12 * 5 * 90 - 12)
    assert valuation.daily_pnl == Decimal(12 * 5)


@pytest.fixture(scope="module")
def portal_thread(portal_data, django_db_blocker):
    """A committed conversation of the client with the staff (its page is a portal page)."""
    from django.utils import timezone

    from clientportal.models import Message, MessageThread

    with django_db_blocker.unblock(), tenant_context(portal_data.tenant):
        now = timezone.now()
        thread = MessageThread.objects.create(
            client=portal_data.user, subject="My statement", last_message_at=now
        )
        Message.objects.create(
            thread=thread, sender=portal_data.user, from_staff=False, body="Hello", sent_at=now
        )
    connection.set_schema_to_public()
    yield thread.pk
    with django_db_blocker.unblock(), tenant_context(portal_data.tenant):
        MessageThread.objects.filter(pk=thread.pk).delete()
    connection.set_schema_to_public()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_renders_without_console_errors(
    login_result, portal_url, portal_data, portal_thread, screenshots, width
):
    context = login_result["context"]
    page = context.new_page()
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    errors = console_errors(page)
    pages = {
        **PAGES,
        "content": f"/content/{portal_data.page_ids[0]}/",
        "message-thread": f"/messages/{portal_thread}/",
    }
    problems = {}
    for name, path in pages.items():
        response = page.goto(f"{portal_url}{path}")
        if "/auth/reauth/" in page.url:  # withdrawals ask for the password again
            page.fill("#id_password", PASSWORD)
            page.click("button:has-text('Continue')")
            page.wait_for_load_state("load")
            response = None
        page.screenshot(path=screenshots / f"{width}-{name}.png", full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        status = response.status if response is not None else 200
        violations = axe_run(page)
        axe_report(f"{width} {name}", violations)
        blocking = axe_blocking(violations)
        if status != 200 or errors or overflow > 0 or blocking:
            problems[name] = {
                "status": status,
                "errors": list(errors),
                "overflow": overflow,
                "axe": [(v["id"], v["impact"], v["nodes"]) for v in blocking],
            }
        errors.clear()
    page.close()
    assert problems == {}
    # every page visited has its screenshot (other tests add theirs to the same folder)
    assert {f"{width}-{name}.png" for name in pages} <= {
        p.name for p in screenshots.glob(f"{width}-*.png")
    }


def test_login_page_in_the_brand_at_both_widths(browser, portal_url, screenshots):
    problems, backgrounds = {}, []
    for width, (w, h) in WIDTHS.items():
        context = browser.new_context(viewport={"width": w, "height": h})
        context.route("**/static/**", serve_static)
        page = context.new_page()
        errors = console_errors(page)
        for name, path in ANONYMOUS_PAGES.items():
            response = page.goto(f"{portal_url}{path}")
            page.screenshot(path=screenshots / f"{width}-{name}.png", full_page=True)
            if name == "login":
                backgrounds.append(
                    page.evaluate(
                        "getComputedStyle(document.querySelector('header.topbar')).backgroundColor"
                    )
                )
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            violations = axe_run(page)
            axe_report(f"{width} {name}", violations)
            blocking = axe_blocking(violations)
            if response.status != 200 or errors or overflow > 0 or blocking:
                problems[f"{width} {name}"] = {
                    "status": response.status,
                    "errors": list(errors),
                    "overflow": overflow,
                    "axe": [(v["id"], v["impact"], v["nodes"]) for v in blocking],
                }
            errors.clear()
        context.close()
    assert problems == {}
    assert backgrounds == ["rgb(11, 61, 145)"] * 2  # the default brand's primary, #0b3d91


def test_withdrawal_over_the_limit_is_refused(
    login_result, portal_url, portal_data, django_db_blocker, screenshots
):
    from clientportal.models import WithdrawalRequest
    from clientportal.selectors import withdrawable_cash

    with django_db_blocker.unblock(), tenant_context(portal_data.tenant):
        available = withdrawable_cash(
            tenant=portal_data.tenant, account=portal_data.account, currency="USD"
        )
    connection.set_schema_to_public()
    page = login_result["context"].new_page()
    page.goto(f"{portal_url}/transfers/withdraw/")
    if "/auth/reauth/" in page.url:
        page.fill("#id_password", PASSWORD)
        page.click("button:has-text('Continue')")
        page.wait_for_url("**/transfers/withdraw/")
    # when one cent more than withdrawable is asked for
    page.select_option("#id_account", str(portal_data.account.pk))
    page.fill("#id_amount", f"{available + Decimal('0.01'):.2f}")
    page.select_option("#id_currency", "USD")
    page.fill("#id_destination", "US-ABA-021000021")
    page.click("button:has-text('Submit request')")
    page.wait_for_load_state("load")
    page.screenshot(path=screenshots / "desktop-withdrawal-refused.png", full_page=True)
    text = page.inner_text("main")
    page.close()
    # then the form says why, and no request exists
    assert f"You can withdraw at most {available:,.2f} USD" in text
    with django_db_blocker.unblock(), tenant_context(portal_data.tenant):
        assert not WithdrawalRequest.objects.filter(requested_by=portal_data.user).exists()
    connection.set_schema_to_public()


def test_installable_with_an_offline_page_and_no_account_data_cached(login_result, portal_url):
    # given the portal opened once: its service worker installs and takes control
    context = login_result["context"]
    page = context.new_page()
    page.goto(f"{portal_url}/")
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    page.reload()
    page.evaluate(
        "new Promise(done => navigator.serviceWorker.controller ? done(true) :"
        " navigator.serviceWorker.addEventListener('controllerchange', () => done(true)))"
    )
    manifest = page.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
    )
    cached = page.evaluate(
        "caches.keys().then(keys => Promise.all(keys.map(k => caches.open(k)"
        ".then(c => c.keys())))).then(all => all.flat().map(r => new URL(r.url).pathname))"
    )
    # when the network is gone
    context.set_offline(True)
    try:
        page.goto(f"{portal_url}/positions/")
        offline_text = page.inner_text("main")
    finally:
        context.set_offline(False)
    page.close()
    # then the offline page shows, and only the app shell was ever cached
    assert scope == f"{portal_url}/"
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert "You are offline" in offline_text
    assert "/auth/offline/" in cached
    assert not {"/", "/positions/", "/cash/", "/activity/", "/statements/"} & set(cached)
