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


@pytest.fixture(scope="module")
def portal_order(portal_data, django_db_blocker):
    """A committed open order of the client, placed through the trading service as the ticket
    places it (a GTC limit buy below the last close, held at the venue): its detail page is a
    portal page. The trade right is granted for the order only and taken back after it."""
    from guardian.shortcuts import assign_perm, remove_perm

    from ledger.models import Price
    from trading.models import Order
    from trading.services import Ticket, order_submit
    from trading.services.orders import ConfirmationRequired

    tenant, user, account = portal_data.tenant, portal_data.user, portal_data.account
    instrument_id = portal_data.instrument_ids[0]
    with django_db_blocker.unblock(), tenant_context(tenant):
        close = Price.objects.filter(instrument_id=instrument_id).order_by("-date").first().close
        ticket = Ticket(
            account_id=account.pk,
            instrument_id=instrument_id,
            side="buy",
            quantity=Decimal(2),
            order_type="limit",
            limit_price=(close * Decimal("0.95")).quantize(Decimal("0.01")),
            time_in_force="gtc",
        )
        assign_perm("ledger.trade_account", user, account)
        try:
            try:
                order = order_submit(user=user, tenant=tenant, ticket=ticket)
            except ConfirmationRequired as warned:
                confirmed = [w.code for w in warned.warnings]
                order = order_submit(user=user, tenant=tenant, ticket=ticket, confirmed=confirmed)
        finally:
            remove_perm("ledger.trade_account", user, account)
    connection.set_schema_to_public()
    assert order.status == "accepted", (order.status, order.reason)
    yield order.pk
    with django_db_blocker.unblock(), tenant_context(tenant):
        Order.objects.filter(pk=order.pk).delete()
    connection.set_schema_to_public()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_renders_without_console_errors(
    login_result, portal_url, portal_data, portal_thread, portal_order, screenshots, width
):
    context = login_result["context"]
    page = context.new_page()
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    errors = console_errors(page)
    pages = {
        **PAGES,
        "content": f"/content/{portal_data.page_ids[0]}/",
        "message-thread": f"/messages/{portal_thread}/",
        "order": f"/orders/{portal_order}/",
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


# The applicant's steps after /apply/, each as the form leaves it after the step before, and
# what the applicant types into them (the values the onboarding checks accept).
APPLICATION_STEPS = {
    "identity": {
        "#id_applicant_type": "individual",
        "#id_first_name": "Grace",
        "#id_last_name": "Hopper",
        "#id_date_of_birth": "1986-12-09",
        "#id_citizenship": "US",
        "#id_tax_residency": "US",
        "#id_tax_id": "536-22-1234",
    },
    "contact": {
        "#id_phone": "+1 202 555 0199",
        "#id_address_line1": "7 Navy Yard",
        "#id_city": "Arlington",
        "#id_postal_code": "22202",
        "#id_country": "US",
    },
    "finances": {
        "#id_employment_status": "employed",
        "#id_annual_income": "90000",
        "#id_net_worth": "300000",
        "#id_liquid_net_worth": "100000",
        "input[name=objectives][value=growth]": True,
        "#id_experience_stocks": "6",
    },
    "account": {
        "input[name=trading_permissions][value=stocks]": True,
        "#id_base_currency": "USD",
        "#id_margin_type": "cash",
    },
}


def _apply_fill(page, values: dict) -> None:
    for selector, value in values.items():
        if value is True:
            page.check(selector)
        elif page.eval_on_selector(selector, "e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)


@pytest.fixture(scope="module")
def applicant_emails(portal_data, django_db_blocker):
    """The e-mail addresses the test's applicants use; their applications (committed by the
    server) are removed after the module."""
    from onboarding.models import Application

    emails: list[str] = []
    yield emails
    with django_db_blocker.unblock(), tenant_context(portal_data.tenant):
        Application.objects.filter(email__in=emails).delete()
    connection.set_schema_to_public()


def test_every_application_step_at_both_widths(
    browser, portal_url, portal_data, applicant_emails, screenshots
):
    """A fresh applicant per width walks the self-service application after /apply/: each step,
    the documents, the review and the confirmation, every page checked as the others are."""
    import secrets

    from onboarding.models import Application
    from onboarding.tests.factories import PDF_BYTES, PNG_BYTES

    problems, seen, emails = {}, {}, applicant_emails

    def check(page, width, name, status):
        page.screenshot(path=screenshots / f"{width}-apply-{name}.png", full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        violations = axe_run(page)
        axe_report(f"{width} apply-{name}", violations)
        blocking = axe_blocking(violations)
        seen.setdefault(width, []).append(name)
        if status != 200 or errors or overflow > 0 or blocking:
            problems[f"{width} apply-{name}"] = {
                "status": status,
                "errors": list(errors),
                "overflow": overflow,
                "axe": [(v["id"], v["impact"], v["nodes"]) for v in blocking],
            }
        errors.clear()

    for width, (w, h) in WIDTHS.items():
        context = browser.new_context(viewport={"width": w, "height": h})
        context.route("**/static/**", serve_static)
        page = context.new_page()
        errors = console_errors(page)
        email = f"applicant-{secrets.token_hex(3)}@example.com"
        emails.append(email)
        page.goto(f"{portal_url}/apply/")
        page.fill("#id_email", email)
        with page.expect_navigation() as shown:
            page.click("button:has-text('Start')")
        for slug, values in APPLICATION_STEPS.items():
            assert page.url.endswith(f"/apply/step/{slug}/"), page.url
            check(page, width, slug, shown.value.status)
            _apply_fill(page, values)
            with page.expect_navigation() as shown:
                page.click("button[name=continue]")
        assert page.url.endswith("/apply/documents/"), page.url
        check(page, width, "documents", shown.value.status)
        for kind, content in (("identity", PDF_BYTES), ("proof_of_address", PNG_BYTES)):
            page.select_option("#id_kind", kind)
            page.set_input_files(
                "#id_file",
                {"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": content},
            )
            with page.expect_navigation() as shown:
                page.click("button:has-text('Upload')")
        check(page, width, "documents-uploaded", shown.value.status)
        with page.expect_navigation() as shown:
            page.click("a:has-text('Continue to review')")
        check(page, width, "review", shown.value.status)
        if page.locator("#id_disclosures").count():
            page.check("#id_disclosures")
        with page.expect_navigation() as shown:
            page.click("button:has-text('Submit application')")
        assert page.url.endswith("/apply/done/"), page.url
        check(page, width, "done", shown.value.status)
        context.close()
    with tenant_context(portal_data.tenant):
        states = sorted(
            Application.objects.filter(email__in=emails).values_list("state", flat=True)
        )
    connection.set_schema_to_public()
    # then every step of both applicants was shown and checked, and both applications went in
    steps = [*APPLICATION_STEPS, "documents", "documents-uploaded", "review", "done"]
    assert seen == dict.fromkeys(WIDTHS, steps)
    assert problems == {}
    assert states == ["submitted", "submitted"]


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
