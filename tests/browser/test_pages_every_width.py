"""Every Broker Portal page of the project, and Wagtail's own pages staff use, on the demo, as a
person meets them at 1366 and 375 px: each page answers 200 without a console error, axe-core
finds no critical or serious violation (WCAG 2.2 A and AA, the issue's bar), nothing is wider
than a 375 px screen (WCAG 2.2, 1.4.10 Reflow), and the browser sends no request to a host other
than the portal's own (no Gravatar: staff avatars are initials drawn in the page). Each page is
visited once per width; the screenshot, overflow and axe run share that visit.

Also here, on the same demo: the help menu (Wagtail's editor guide) only for page editors, and
the e-mailed links carrying the port of the request that sent them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from .axe import axe_blocking, axe_counts, axe_report, axe_run
from .conftest import EMAILS, committed_staff_with_totp, console_errors, serve_static, totp_now

pytestmark = pytest.mark.django_db

SCHEMA = "harbor"
WIDTHS = {"desktop": (1366, 900), "mobile": (375, 812)}
PROBLEMS = EMAILS.with_name("broker-page-problems.json")
STAFF_PASSWORD = "every-page-pass-2026"  # test-only credential of a throwaway user

# Routes of the project's Broker Portal that are not pages a person reads: POST-only actions
# (each redirects to a page listed in `broker_pages`) and file downloads.
NOT_PAGES = {
    "branding_brand_preview": "POST: the brand form's live preview",
    "branding_statement_run_create": "POST: starts a run",
    "branding_statement_download": "a PDF/CSV/HTML file",
    "branding_report_confirmation": "a PDF/CSV file",
    "branding_report_gains": "a PDF/CSV file",
    "branding_report_performance": "a PDF/CSV file",
    "onboarding_admin:document_add": "POST: attaches a document",
    "onboarding_admin:address_change": "POST: changes the address",
    "onboarding_admin:act": "POST: approve, reject, ...",
    "onboarding_admin:document": "a document file",
    "onboarding_admin:bulk_report": "a CSV file",
    "allocations_block_fill_add": "POST: adds a fill",
    "allocations_block_preview": "POST: makes the preview shown at allocations_allocation",
    "allocations_book": "POST: books",
    "allocations_reverse": "POST: reverses",
    "allocations_fixml": "a FIXML file",
    "allocations_day_fixml": "a FIXML file",
    "clientportal_staff_withdrawal_decide": "POST: approves or rejects",
    "compliance_admin:user_act": "POST: role and grant changes",
    "compliance_admin:lockout_unlock": "POST: unlocks",
    "compliance_admin:review_file": "a PDF/CSV file",
    "compliance_admin:api_key_revoke": "POST: revokes",
    "funding_deposit_notice_credit": "POST: credits",
    "funding_deposit_notice_reject": "POST: rejects",
    "funding_journal_approve": "POST: approves",
    "funding_journal_reject": "POST: rejects",
    "funding_journal_reverse": "POST: reverses",
    "desk_accounts_export": "a CSV file",
    "desk_account_act": "POST: restrict, reopen, close, ...",
    "desk_exceptions_export": "a CSV file",
    "desk_exception_acknowledge": "POST: acknowledges",
    "desk_margin_call_confirm": "POST: confirms a liquidation",
}


def project_admin_routes() -> set[str]:
    """The names of every route the project's apps add under /broker/ (Wagtail's own excluded)."""
    from django.urls import URLPattern, URLResolver

    from brokerportal.urls_tenant import urlpatterns

    found: set[str] = set()

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                if namespace and pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}"
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and prefix.startswith("broker/"):
                module = pattern.callback.__module__
                if pattern.name and not module.startswith(("wagtail", "django")):
                    found.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(urlpatterns, "", None)
    return found


def broker_pages() -> dict[str, str]:
    """name → path of every Broker Portal page, with the demo's own objects in the URLs (and a
    few made here where the demo has none: a journal, a bulk import, an access review, a
    message thread and a statement run). Run inside the demo tenant's schema."""
    from django.contrib.auth import get_user_model
    from wagtail.contrib.settings.registry import registry
    from wagtail.models import Page

    from allocations.models import Allocation, AllocationGroup, Block
    from branding.statement_models import StatementRun
    from clientportal.models import DepositNotice, Message, MessageThread
    from compliance.models import AccessReview, AccessReviewLine
    from funding.models import Journal
    from ledger.models import Account
    from onboarding.models import Application, BulkImport

    users = get_user_model().objects
    client = users.filter(username__startswith="oliver.bennett@").get()
    security = users.get(username="security@harbor.example")
    accounts = Account.objects.filter(tenant=connection.tenant).order_by("number")
    held = accounts.exclude(account_type__in=["master", "platform"]).exclude(is_paper=True)
    holder_account = held.first()
    two = list(held[:2])
    journal = Journal.objects.create(
        kind="cash",
        status="pending",
        from_account=two[0],
        to_account=two[1],
        currency=two[0].base_currency,
        amount="25.00",
        memo="Fee refund",
        request_key="every-page-journal",
        maker=users.get(username="compliance@harbor.example"),
        created_at=dt.datetime.now(dt.UTC),
    )
    bulk = BulkImport.objects.create(
        file_name="applicants.csv", file_format="csv", sha256="0" * 64, status="imported", rows=3
    )
    review = AccessReview.objects.create(
        period_label="2026-Q3 (pages)",
        period_start=dt.date(2026, 7, 1),
        due_on=dt.date(2026, 10, 31),
        assigned_to_id=security.pk,
    )
    AccessReviewLine.objects.create(
        review=review, kind="role", user_id=security.pk, username=security.username, role="Viewer"
    )
    now = dt.datetime.now(dt.UTC)
    thread = MessageThread.objects.create(
        client=client, subject="Question about my statement", last_message_at=now
    )
    Message.objects.create(
        thread=thread, sender=client, from_staff=False, body="Where is my W-8BEN?", sent_at=now
    )
    run = StatementRun.objects.create(
        kind="activity",
        period_kind="monthly",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 1, 31),
        total=0,
    )
    blocks = Block.objects.filter(reference__startswith=f"DEMO-{SCHEMA}-").order_by("reference")
    booked = Allocation.objects.filter(state="booked").order_by("pk").first()
    previewed = Allocation.objects.filter(state="previewed").order_by("pk").first()
    page = Page.objects.filter(depth__gt=1).order_by("path").first()
    pages = {
        # the staff's own pages
        "home": "/broker/",
        "accounts": "/broker/accounts/",
        "accounts-search": "/broker/accounts/?q=Bennett",
        "account-360": f"/broker/accounts/{holder_account.number}/",
        "exceptions": "/broker/exceptions/",
        "margin-calls": "/broker/margin-calls/",
        "allocations-blocks": "/broker/allocations/",
        "allocations-block-new": "/broker/allocations/blocks/new/",
        "allocations-block-booked": f"/broker/allocations/blocks/{blocks[0].pk}/",
        "allocations-block-open": f"/broker/allocations/blocks/{blocks[1].pk}/",
        "allocations-booked": f"/broker/allocations/{booked.pk}/",
        "allocations-preview": f"/broker/allocations/{previewed.pk}/",
        "allocations-groups": "/broker/allocations/groups/",
        "allocations-group-new": "/broker/allocations/groups/new/",
        "allocations-group": f"/broker/allocations/groups/{AllocationGroup.objects.first().pk}/",
        "deposits": "/broker/funding/deposits/",
        "deposit": f"/broker/funding/deposits/{DepositNotice.objects.first().pk}/",
        "journals": "/broker/funding/journals/",
        "journal-new": "/broker/funding/journals/new/",
        "journal-upload": "/broker/funding/journals/upload/",
        "journal": f"/broker/funding/journals/{journal.pk}/",
        "withdrawals": "/broker/withdrawals/",
        "client-messages": "/broker/client-messages/",
        "client-thread": f"/broker/client-messages/{thread.pk}/",
        "statement-runs": "/broker/statements/",
        "statement-run": f"/broker/statements/runs/{run.pk}/",
        "reports": "/broker/statements/reports/",
        "reconciliation": "/broker/statements/reports/reconciliation/",
        "flex-upload": "/broker/statements/reports/reconciliation/import/",
        "onboarding-queue": "/broker/onboarding/",
        "onboarding-application": f"/broker/onboarding/{Application.objects.first().pk}/",
        "onboarding-bulk": "/broker/onboarding/bulk/",
        "onboarding-bulk-import": f"/broker/onboarding/bulk/{bulk.pk}/",
        "onboarding-watchlist": "/broker/onboarding/watchlist/",
        "onboarding-disclosures": "/broker/onboarding/disclosures/",
        "security-users": "/broker/security/users/",
        "security-user-new": "/broker/security/users/new/",
        "security-user": f"/broker/security/users/{security.pk}/",
        "security-lockouts": "/broker/security/lockouts/",
        "security-audit": "/broker/security/audit/",
        "security-access-review": "/broker/security/access-review/",
        "security-reviews": "/broker/security/reviews/",
        "security-review": f"/broker/security/reviews/{review.pk}/",
        "security-settings": "/broker/security/settings/",
        "security-api-keys": "/broker/security/api-keys/",
        # Wagtail's pages the staff use: pages, media, settings, reports and their account
        "pages": "/broker/pages/",
        "pages-children": f"/broker/pages/{page.pk}/",
        "page-edit": f"/broker/pages/{page.pk}/edit/",
        "images": "/broker/images/",
        "documents": "/broker/documents/",
        "site-history": "/broker/reports/site-history/",
        "account": "/broker/account/",
    }
    for model in registry:
        label, name = model._meta.app_label, model._meta.model_name
        pages[f"settings-{name}"] = f"/broker/settings/{label}/{name}/"
    return pages, [journal, bulk, review, thread, run]


@pytest.fixture(scope="module")
def broker_page_paths(demo_site, django_db_blocker):
    """The pages, with the objects made for them committed (the server sees them). They stay
    until the demo's schema is dropped at the end of the session: records such as an access
    review may not be deleted within their retention period (SEC Rule 17a-4(b))."""
    from tenants.models import Tenant

    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(schema_name=SCHEMA)
        with tenant_context(tenant):
            pages, _made = broker_pages()
    connection.set_schema_to_public()
    return pages


@pytest.fixture(scope="module")
def desk_lead(demo_site, django_db_blocker):
    """A committed superuser of the demo's Harbor Advisors, with a name (for the initials)."""
    from tenants.models import Tenant

    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(schema_name=SCHEMA)
    connection.set_schema_to_public()
    with committed_staff_with_totp(
        tenant,
        django_db_blocker,
        prefix="desk-lead",
        password=STAFF_PASSWORD,
        is_superuser=True,
        first_name="Dana",
        last_name="Reyes",
    ) as login:
        yield login


def _login(browser, base, username, password, code):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.route("**/static/**", serve_static)
    page = context.new_page()
    page.goto(f"{base}/broker/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/auth/verify/**")
    page.fill("#id_code", code)
    page.click("button:has-text('Continue')")
    page.wait_for_url("**/broker/")
    page.close()
    return context


def test_every_broker_page_at_both_widths(
    browser, demo_site, desk_lead, broker_page_paths, screenshots
):
    user, key = desk_lead
    base = demo_site(SCHEMA)
    pages = broker_page_paths
    context = _login(browser, base, user.username, STAFF_PASSWORD, totp_now(key))
    own_host = urlsplit(base).hostname
    foreign: list[str] = []

    def outside(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != own_host:
            foreign.append(request.url)

    context.on("request", outside)
    page = context.new_page()
    errors = console_errors(page)
    problems, totals, visited = {}, {"critical": 0, "serious": 0}, 0
    avatars = []
    for width, (w, h) in WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        for name, path in pages.items():
            response = page.goto(f"{base}{path}")
            page.wait_for_load_state("load")
            visited += 1
            page.screenshot(path=screenshots / f"broker-{width}-{name}.png", full_page=True)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            violations = axe_run(page)
            axe_report(f"broker {width} {name}", violations)
            counts = axe_counts(violations)
            totals["critical"] += counts["critical"]
            totals["serious"] += counts["serious"]
            blocking = axe_blocking(violations)
            if name == "home" and width == "desktop":
                avatars = page.evaluate(
                    "[...document.querySelectorAll('.avatar img, img.avatar')].map(i => i.src)"
                )
            wide = width == "mobile" and overflow > 0
            if response.status != 200 or errors or wide or blocking:
                problems[f"{width} {name}"] = {
                    "status": response.status,
                    "errors": list(errors),
                    "overflow": overflow,
                    "axe": [(v["id"], v["impact"], v["nodes"]) for v in blocking],
                }
            errors.clear()
    page.close()
    context.close()
    print(f"broker pages: {len(pages)} at 2 widths, {visited} visits, axe {totals}")  # noqa: T201
    PROBLEMS.write_text(json.dumps(problems, indent=1), encoding="utf-8")
    # then
    assert problems == {}, f"see {PROBLEMS}"
    assert totals == {"critical": 0, "serious": 0}
    assert foreign == []  # nothing leaves for gravatar.com, a CDN or any other host
    assert avatars and all(src.startswith("data:image/svg+xml,") for src in avatars)
    assert any(">DR</text>" in src.replace("%3E", ">").replace("%3C", "<") for src in avatars)
    # every page the project adds to the Broker Portal is visited (or is not a page)
    from django.urls import resolve

    visited_names = set()
    for path in pages.values():
        match = resolve(path.split("?")[0], urlconf="brokerportal.urls_tenant")
        visited_names.add(match.view_name)
    missing = project_admin_routes() - visited_names - set(NOT_PAGES)
    assert missing == set()
    assert {f"broker-{w}-{n}.png" for w in WIDTHS for n in pages} <= {
        p.name for p in screenshots.glob("broker-*.png")
    }


def _sidebar_items(page) -> list[str]:
    props = page.evaluate(
        "(document.getElementById('wagtail-sidebar-props') || {}).textContent || ''"
    )
    return re.findall(r'"name":\s*"([^"]+)"', props)


def test_help_menu_only_for_page_editors(browser, demo_site, desk_lead):
    from .test_demo_roles import demo_login

    base = demo_site(SCHEMA)
    # given a viewer (edits no page) and a superuser (edits every page)
    context, page = demo_login(browser, base, SCHEMA, "viewer@harbor.example", path="/broker/")
    viewer_items = _sidebar_items(page)
    context.close()
    user, key = desk_lead
    context = _login(browser, base, user.username, STAFF_PASSWORD, totp_now(key))
    page = context.new_page()
    page.goto(f"{base}/broker/")
    editor_items = _sidebar_items(page)
    context.close()
    # then only the editor has Help (Wagtail's editor guide); nobody has Wagtail's release notes
    assert viewer_items and "help" not in viewer_items
    assert "help" in editor_items
    assert not [item for item in viewer_items + editor_items if item.startswith("whats-new")]


def test_emailed_links_carry_the_requests_port(browser, demo_site):
    # given the demo on a port that is not the scheme's default
    base = demo_site(SCHEMA)
    port = urlsplit(base).port
    assert port not in (None, 80, 443)
    address = "amelia.clarke@harbor.example"
    # when a client asks for a password reset through the page
    context = browser.new_context(viewport={"width": 375, "height": 812})
    context.route("**/static/**", serve_static)
    page = context.new_page()
    page.goto(f"{base}/auth/reset/")
    page.fill("input[name=email]", address)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/auth/reset/sent/")
    context.close()
    mail = "".join(
        block for block in EMAILS.read_text().split("-" * 79) if f"To: {address}" in block
    )
    # then every link to the tenant's site in that e-mail carries the request's port
    links = re.findall(r"https?://harbor\.localhost[^\s\"'<>]*", mail)
    assert any("/auth/reset/" in link for link in links)
    assert links and all(link.startswith(f"http://harbor.localhost:{port}/") for link in links)
