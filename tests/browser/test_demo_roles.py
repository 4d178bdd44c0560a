"""Every role of both demo tenants, and the platform operator, logs into the demo as a newcomer
would: the demo password, then the code that `manage.py demo_totp` prints, and does that role's
main task on the demo data through the pages.

The demo is seeded at its small size in the test database (tests/support/demo.py) and served by
the same gunicorn as the other browser tests; one browser serves them all.
"""

import io
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from demo.seed import DEMO_OPERATOR, DEMO_PASSWORD

from .conftest import console_errors, serve_static

pytestmark = pytest.mark.django_db

TENANTS = {"northwind": "northwind.example", "harbor": "harbor.example"}


# The 30-second TOTP step of each login's last code: a code is accepted once (RFC 6238 section
# 5.2), so a second login of the same user within its step waits for the next one.
_LAST_STEP: dict[tuple[str, str], int] = {}


def _next_unused_step(schema: str, username: str) -> None:
    step = int(time.time()) // 30
    if _LAST_STEP.get((schema, username), -1) >= step:
        time.sleep(30 - time.time() % 30 + 1)
    _LAST_STEP[(schema, username)] = int(time.time()) // 30


def printed_code(schema: str, username: str) -> str:
    """The second factor as a newcomer gets it: the first line `demo_totp` prints."""
    _next_unused_step(schema, username)
    out, err = io.StringIO(), io.StringIO()
    call_command("demo_totp", schema, username, stdout=out, stderr=err)
    code = out.getvalue().splitlines()[0].strip()
    assert code.isdigit() and len(code) == 6
    assert err.getvalue().startswith("Valid for this 30-second window")
    return code


def demo_login(browser, base: str, schema: str, username: str, *, path: str = "/"):
    """A fresh browser context logged in as `username`; returns (context, page)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.route("**/static/**", serve_static)
    page = context.new_page()
    page.goto(f"{base}{path}")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/auth/verify/**")
    page.fill("#id_code", printed_code(schema, username))
    page.click("button:has-text('Continue')")
    page.wait_for_load_state("load")
    assert "/auth/verify/" not in page.url, page.inner_text("main")
    return context, page


def _db(django_db_blocker, schema, read):
    with django_db_blocker.unblock(), schema_context(schema):
        value = read()
    connection.set_schema_to_public()
    return value


def test_operator_opens_the_tenant_list(browser, demo_site, screenshots):
    base = demo_site("platform")
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.route("**/static/**", serve_static)
    page = context.new_page()
    errors = console_errors(page)
    page.goto(f"{base}/admin/")
    page.fill("#id_username", DEMO_OPERATOR)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/operator/verify/**")
    page.fill("#id_code", printed_code("public", DEMO_OPERATOR))
    page.click("input[value=Verify]")
    page.wait_for_load_state("load")
    page.goto(f"{base}/admin/tenants/tenant/")
    page.screenshot(path=screenshots / "operator-tenants.png", full_page=True)
    listing = page.inner_text("#result_list")
    context.close()
    assert "Northwind Securities" in listing and "Harbor Advisors" in listing
    assert errors == []


@pytest.mark.parametrize("schema", list(TENANTS))
def test_security_officer_sees_the_tenants_staff(browser, demo_site, schema, screenshots):
    context, page = demo_login(
        browser, demo_site(schema), schema, f"security@{TENANTS[schema]}", path="/broker/"
    )
    page.goto(f"{demo_site(schema)}/broker/security/users/")
    page.screenshot(path=screenshots / f"{schema}-security-users.png", full_page=True)
    text = page.inner_text("main")
    context.close()
    for prefix in ("onboarding", "advisor", "compliance", "viewer"):
        assert f"{prefix}@{TENANTS[schema]}" in text


@pytest.mark.parametrize("schema", list(TENANTS))
def test_onboarding_officer_opens_the_application_queue(
    browser, demo_site, schema, django_db_blocker, screenshots
):
    from onboarding.models import Application

    waiting = _db(
        django_db_blocker,
        schema,
        lambda: sorted(
            f"{a.first_name} {a.last_name}"
            for a in Application.objects.exclude(state__in=["draft", "approved", "rejected"])
        ),
    )
    context, page = demo_login(
        browser, demo_site(schema), schema, f"onboarding@{TENANTS[schema]}", path="/broker/"
    )
    response = page.goto(f"{demo_site(schema)}/broker/onboarding/")
    page.screenshot(path=screenshots / f"{schema}-onboarding-queue.png", full_page=True)
    text = page.inner_text("main")
    context.close()
    assert response.status == 200
    assert waiting, "the demo has applications awaiting the officer"
    assert all(name in text for name in waiting)


@pytest.mark.parametrize("schema", list(TENANTS))
def test_onboarding_officer_finds_a_client_by_part_of_the_name_and_opens_the_360(
    browser, demo_site, schema, django_db_blocker, screenshots
):
    from demo.seed import DEMO_TENANTS, demo_logins
    from ledger.models import Account
    from ledger.selectors import account_valuation, positions_for
    from tenants.models import Tenant

    demo = next(d for d in DEMO_TENANTS if d.schema_name == schema)
    client = next(u for u, role in demo_logins(demo) if role == "Client")
    officer = f"onboarding@{TENANTS[schema]}"

    def expected():
        # the demo client's first account, and what the ledger holds for it
        tenant = Tenant.objects.get(schema_name=schema)
        account = (
            Account.objects.filter(tenant=tenant, external_ref=f"demo:{client}")
            .order_by("number")
            .first()
        )
        held = positions_for(tenant=tenant, account_ids=[account]).count()
        return account, account_valuation(tenant=tenant, account=account).nlv, held

    account, nlv, held = _db(django_db_blocker, schema, expected)
    fragment = demo.clients[0][1][1:5].lower()  # part of the last name, not its start
    base = demo_site(schema)
    context, page = demo_login(browser, base, schema, officer, path="/broker/")
    errors = console_errors(page)
    # when: from the home, the listing searched by the fragment, then the account
    home = page.inner_text("#desk-work")
    page.click("a:has-text('Find a client or account')")
    page.fill("#id_q", fragment)
    page.click("form.desk-filters button:has-text('Search')")
    page.wait_for_load_state("load")
    listed = page.inner_text("#desk-accounts")
    page.screenshot(path=screenshots / f"{schema}-officer-accounts-search.png", full_page=True)
    page.click(f"#desk-accounts a:has-text('{account.number}')")
    page.wait_for_url(f"**/broker/accounts/{account.number}/")
    page.wait_for_load_state("load")
    page.screenshot(path=screenshots / f"{schema}-officer-account-360.png", full_page=True)
    holder = page.inner_text("#desk-holder-name")
    valuation = page.inner_text("#desk-valuation")
    positions = page.locator("#desk-positions tbody tr").count() if held else 0
    grants = page.inner_text("#desk-grants")
    context.close()
    # then: the demo officer found the demo client, and the 360 shows the ledger's figures
    assert "Applications to review" in home
    assert account.number in listed and account.title in listed
    assert holder == account.title
    assert f"{nlv:,.2f}".replace(",", "") in valuation.replace(",", "")
    assert positions == held
    assert officer in grants
    assert errors == []


@pytest.mark.parametrize("schema", list(TENANTS))
def test_advisor_books_an_allocation(browser, demo_site, schema, django_db_blocker, screenshots):
    from allocations.models import Allocation, Block
    from ledger.models import Position

    base = demo_site(schema)
    reference = f"DEMO-{schema}-2"
    block_id = _db(django_db_blocker, schema, lambda: Block.objects.get(reference=reference).pk)
    context, page = demo_login(browser, base, schema, f"advisor@{TENANTS[schema]}", path="/broker/")
    errors = console_errors(page)
    # the refused block's preview says who cannot pay, and offers no Book button
    refused = _db(
        django_db_blocker,
        schema,
        lambda: Allocation.objects.get(block__reference=f"DEMO-{schema}-3").pk,
    )
    page.goto(f"{base}/broker/allocations/{refused}/")
    page.screenshot(path=screenshots / f"{schema}-allocation-refused.png", full_page=True)
    assert page.locator("[data-funding=refused]").count() == 1
    assert page.locator("button:has-text('Book')").count() == 0
    # when the advisor previews the block awaiting allocation and books it
    page.goto(f"{base}/broker/allocations/blocks/{block_id}/")
    page.click("button:has-text('Preview the fills awaiting allocation')")
    page.wait_for_url("**/broker/allocations/*/")
    assert page.locator("[data-funding=ok]").count() == 3
    page.click("button:has-text('Book')")
    page.wait_for_load_state("load")
    page.screenshot(path=screenshots / f"{schema}-allocation-booked.png", full_page=True)
    text = page.inner_text("main")
    context.close()
    # then the page says so, and the ledger holds the sub-accounts' shares 5/3/2
    assert "booked." in text
    assert errors == []

    def booked():
        allocation = Allocation.objects.get(block_id=block_id, state="booked")
        lines = list(allocation.lines.filter(quantity__gt=0).values_list("account_id", "quantity"))
        held = dict(
            Position.objects.filter(
                account_id__in=[a for a, _ in lines], instrument=allocation.block.instrument
            ).values_list("account_id", "quantity")
        )
        return sorted(q for _, q in lines), all(held[a] >= q for a, q in lines)

    quantities, held = _db(django_db_blocker, schema, booked)
    assert quantities == [Decimal(2), Decimal(3), Decimal(5)]
    assert held


@pytest.mark.parametrize("schema", list(TENANTS))
def test_compliance_officer_runs_month_end_statements(
    browser, demo_site, schema, django_db_blocker, screenshots
):
    from branding.models import StatementRun

    base = demo_site(schema)
    context, page = demo_login(
        browser, base, schema, f"compliance@{TENANTS[schema]}", path="/broker/"
    )
    page.goto(f"{base}/broker/statements/")
    page.select_option("#id_period_kind", "monthly")
    page.click("button:has-text('Issue statements for every account')")
    page.wait_for_url("**/broker/statements/**")
    page.get_by_text("100%").first.wait_for(timeout=120_000)
    page.screenshot(path=screenshots / f"{schema}-statement-run.png", full_page=True)
    text = page.inner_text("main")
    context.close()
    assert "started" in text

    def run_state():
        from branding.statements.selectors import run_progress
        from tenants.models import Tenant

        run = StatementRun.objects.order_by("-pk").first()
        progress = run_progress(tenant=Tenant.objects.get(schema_name=schema), run=run)
        return progress.total, progress.issued, progress.failed, progress.done

    total, issued, failed, done = _db(django_db_blocker, schema, run_state)
    assert done and failed == 0 and issued == total > 0


@pytest.mark.parametrize("schema", list(TENANTS))
def test_viewer_sees_figures_and_cannot_act(
    browser, demo_site, schema, django_db_blocker, screenshots
):
    from allocations.models import Allocation, Block

    base = demo_site(schema)
    context, page = demo_login(browser, base, schema, f"viewer@{TENANTS[schema]}", path="/broker/")
    block_id = _db(
        django_db_blocker, schema, lambda: Block.objects.get(reference=f"DEMO-{schema}-1").pk
    )
    page.goto(f"{base}/broker/allocations/blocks/{block_id}/")
    page.screenshot(path=screenshots / f"{schema}-viewer-block.png", full_page=True)
    text = page.inner_text("main")
    assert "Fills" in text and f"DEMO-{schema}-1-1" in text
    before = _db(django_db_blocker, schema, lambda: Allocation.objects.count())
    # the preview form is refused for someone who may only view
    page.goto(f"{base}/broker/allocations/blocks/{block_id}/")
    if page.locator("button:has-text('Preview the fills awaiting allocation')").count():
        page.click("button:has-text('Preview the fills awaiting allocation')")
        page.wait_for_load_state("load")
    context.close()
    assert _db(django_db_blocker, schema, lambda: Allocation.objects.count()) == before


@pytest.mark.parametrize("schema", list(TENANTS))
def test_client_sees_the_ledgers_figures(browser, demo_site, schema, django_db_blocker):
    from django.contrib.auth import get_user_model

    from demo.seed import DEMO_TENANTS, demo_logins
    from ledger.access import accounts_visible
    from ledger.selectors import account_valuation
    from tenants.models import Tenant

    demo = next(d for d in DEMO_TENANTS if d.schema_name == schema)
    username = next(u for u, role in demo_logins(demo) if role == "Client")

    def expected():
        tenant = Tenant.objects.get(schema_name=schema)
        user = get_user_model().objects.get(username=username)
        account = accounts_visible(user=user, tenant=tenant).order_by("number").first()
        return account.pk, account_valuation(tenant=tenant, account=account).nlv

    account_id, nlv = _db(django_db_blocker, schema, expected)
    context, page = demo_login(browser, demo_site(schema), schema, username)
    page.goto(f"{demo_site(schema)}/?account={account_id}")
    shown = page.inner_text('[data-figure="nlv"]')
    context.close()
    assert shown == f"{nlv:,.2f}"
