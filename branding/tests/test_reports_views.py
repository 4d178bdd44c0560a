"""Report downloads: clients for accounts they may see, staff for accounts they may report on;
another tenant's account is a 404, a viewer without the report permission is refused."""

import io
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django_tenants.utils import tenant_context
from guardian.shortcuts import assign_perm
from pypdf import PdfReader

from branding.brand import Brand
from branding.statements.layout import percent
from branding.tests.factories import (
    END,
    START,
    TRADE_DAY,
    funded_account,
    master_with_subs,
    pdf_text,
    trade,
)
from ledger.selectors import performance_for
from ledger.tests.factories import instrument_make
from tests.support.branding import image_create
from tests.support.tenants import login, tenant_client

D = Decimal
MOVES = (("Growth", "50", "55"), ("Laggard", "80", "76"))


def _user(username, **extra):
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", **extra
    )


def _staff(username):
    user = _user(username, is_staff=True)
    assign_perm("wagtailadmin.access_admin", user)
    return user


def _traded(tenant, title="Zoë Łukasiewicz"):
    account = funded_account(tenant, title=title)
    stock = instrument_make(description="Apple Inc.")
    entry = trade(account, stock, "BUY", 10, "100", TRADE_DAY, key="v1", commission="1")
    trade(account, stock, "SELL", 4, "110", date(2026, 10, 6), key="v2")
    return account, entry


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_client_downloads_confirmations_and_gains_of_their_accounts_only(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        # given: tenant A's brand with its logo and footer
        brand = Brand.load()
        brand.display_name = "Alpha Brokerage"
        brand.statement_footer = "Alpha Brokerage LLC · Member SIPC"
        brand.logo = image_create(title="alpha-logo", colour=(200, 30, 30))
        brand.save()
        mine, entry = _traded(tenant_a)
        other, _ = _traded(tenant_a, title="Someone else")
        client_user = _user("zoe")
        assign_perm("ledger.view_account", client_user, mine)
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_a), client_user, tenant_a)

    def confirmation(account, fmt="pdf", day="2026-10-05"):
        return client.get(reverse("statements:confirmation", args=[account.pk, day, fmt]))

    # when
    pdf = confirmation(mine)
    csv = confirmation(mine, "csv")
    gains = client.get(reverse("statements:gains", args=[mine.pk, 2026, "pdf"]))
    # then
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == (
        f'attachment; filename="{mine.number}-confirmation-20261005.pdf"'
    )
    text = pdf_text(_body(pdf))
    assert f"{entry.execution_id}" in text and "-1,001.00" in text
    first = PdfReader(io.BytesIO(_body(pdf))).pages[0]
    assert " ".join(first.extract_text().split()).startswith("Alpha Brokerage")
    assert "Alpha Brokerage LLC · Member SIPC" in text
    assert len(first.images) == 1  # the logo
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert entry.execution_id in _body(csv).decode("utf-8-sig")
    assert gains.status_code == 200
    # the buy's 1.00 commission is in the basis (Pub. 550): 4 × 100.10
    assert "USD Total 440.00 400.40 39.60" in pdf_text(_body(gains))
    # and everything else is a 404: another account, an unknown format, a malformed date
    assert confirmation(other).status_code == 404
    assert client.get(reverse("statements:gains", args=[other.pk, 2026, "pdf"])).status_code == 404
    assert confirmation(mine, "xml").status_code == 404
    assert confirmation(mine, day="2026-13-01").status_code == 404
    # on tenant B's host, A's account is not found even for B's superuser
    with tenant_context(tenant_b):
        boss_b = _user("boss-b", is_staff=True, is_superuser=True)
    connection.set_schema_to_public()
    client_b = login(tenant_client(tenant_b), boss_b, tenant_b)
    url = reverse("statements:confirmation", args=[mine.pk, "2026-10-05", "pdf"])
    assert client_b.get(url).status_code == 404
    url = reverse("branding_report_gains", args=[mine.pk, 2026, "pdf"])
    assert client_b.get(url).status_code == 404


def test_client_statements_page_links_confirmations_and_gains(tenant_a):
    with tenant_context(tenant_a):
        # given
        mine, _ = _traded(tenant_a)
        other, _ = _traded(tenant_a, title="Someone else")
        client_user = _user("zoe")
        assign_perm("ledger.view_account", client_user, mine)
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_a), client_user, tenant_a)
    # when
    html = client.get(reverse("clientportal:statements")).content.decode()
    # then
    for day in ("2026-10-05", "2026-10-06"):
        assert reverse("statements:confirmation", args=[mine.pk, day, "pdf"]) in html
    assert reverse("statements:gains", args=[mine.pk, 2026, "csv"]) in html
    assert f"/{other.pk}/" not in html


def test_staff_performance_report_needs_the_report_permission_on_the_master(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        # given: a master with two subs; a reporter, a viewer and a stranger on staff
        master, subs, benchmark = master_with_subs(tenant_a, moves=MOVES)
        ledger = performance_for(
            tenant=tenant_a,
            account_ids=[subs[0].pk],
            start=START - timedelta(days=1),
            end=END,
            benchmark_symbol=benchmark.symbol,
        )
        reporter, viewer, stranger = _staff("reporter"), _staff("viewer"), _staff("stranger")
        for perm in ("ledger.view_account", "ledger.report_account"):
            assign_perm(perm, reporter, master)
        assign_perm("ledger.view_account", viewer, master)
    connection.set_schema_to_public()
    url = reverse("branding_report_performance", args=[master.pk, "pdf"])
    query = f"?start=2026-10-01&end=2026-10-30&benchmark={benchmark.symbol}"
    # when
    response = login(tenant_client(tenant_a), reporter, tenant_a).get(url + query)
    # then: the reporter gets the PDF with the ledger's TWR for the sub
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert f"1 {subs[0].number} Growth" in text
    assert percent(ledger.twr.cumulative) in text
    csv = login(tenant_client(tenant_a), reporter, tenant_a).get(
        reverse("branding_report_performance", args=[master.pk, "csv"]) + query
    )
    assert csv.status_code == 200
    assert str(ledger.twr.cumulative) in csv.content.decode("utf-8-sig")
    # a sub-account is not a master
    sub_url = reverse("branding_report_performance", args=[subs[0].pk, "pdf"])
    assert login(tenant_client(tenant_a), reporter, tenant_a).get(sub_url).status_code == 404
    # the viewer may see the master but not report on it: refused (the Broker Portal answers
    # a PermissionDenied by sending the user to its home page)
    refused = login(tenant_client(tenant_a), viewer, tenant_a).get(url + query)
    assert (refused.status_code, refused["Location"]) == (302, "/broker/")
    # a staff user without any right on the master: not found
    assert login(tenant_client(tenant_a), stranger, tenant_a).get(url).status_code == 404
    # another tenant's superuser, on its own host: not found
    with tenant_context(tenant_b):
        boss_b = _user("boss-b", is_staff=True, is_superuser=True)
    connection.set_schema_to_public()
    assert login(tenant_client(tenant_b), boss_b, tenant_b).get(url + query).status_code == 404


def test_staff_downloads_confirmations_for_accounts_they_may_report_on(tenant_a):
    with tenant_context(tenant_a):
        # given
        account, entry = _traded(tenant_a)
        hidden, _ = _traded(tenant_a, title="Not granted")
        reporter, viewer = _staff("reporter"), _staff("viewer")
        for perm in ("ledger.view_account", "ledger.report_account"):
            assign_perm(perm, reporter, account)
        assign_perm("ledger.view_account", viewer, account)
    connection.set_schema_to_public()
    staff = login(tenant_client(tenant_a), reporter, tenant_a)
    # when: the reports page form sends the browser to the download
    page = staff.get(reverse("branding_reports"))
    chosen = staff.get(
        reverse("branding_reports"),
        {
            "report": "confirmation",
            "confirmation-account": account.number,
            "confirmation-trade_date": "2026-10-05",
            "confirmation-format": "pdf",
        },
    )
    # then
    assert page.status_code == 200
    assert 'name="confirmation-account"' in page.content.decode()
    target = reverse("branding_report_confirmation", args=[account.pk, "2026-10-05", "pdf"])
    assert (chosen.status_code, chosen["Location"]) == (302, target)
    download = staff.get(target)
    assert download.status_code == 200
    assert entry.execution_id in pdf_text(download.content)
    # an account not granted is not served: the form again, with its error
    refused = staff.get(
        reverse("branding_reports"),
        {
            "report": "gains",
            "gains-account": hidden.number,
            "gains-year": "2026",
            "gains-format": "pdf",
        },
    )
    assert refused.status_code == 200
    assert "No account with this number that you may report on." in refused.content.decode()
    # and a performance report needs an advisor master
    not_master = staff.get(
        reverse("branding_reports"),
        {
            "report": "performance",
            "performance-account": account.number,
            "performance-start": "2026-10-01",
            "performance-end": "2026-10-30",
            "performance-benchmark": "SPY",
            "performance-format": "pdf",
        },
    )
    assert "This account is not an advisor master." in not_master.content.decode()
    hidden_url = reverse("branding_report_gains", args=[hidden.pk, 2026, "pdf"])
    assert staff.get(hidden_url).status_code == 404
    # the viewer without the report permission is refused
    as_viewer = login(tenant_client(tenant_a), viewer, tenant_a).get(target)
    assert (as_viewer.status_code, as_viewer["Location"]) == (302, "/broker/")


def test_reports_offer_the_accounts_the_user_may_report_on(tenant_a):
    import re

    from ledger.models import Account
    from ledger.services import account_open

    with tenant_context(tenant_a):
        # given two accounts, one of them granted for reports, and an advisor master
        granted = funded_account(tenant_a, title="Amelia Clarke")
        only_seen = funded_account(tenant_a, title="Seen only")
        master = account_open(tenant=tenant_a, title="Advisor master", account_type="master")
        reporter = _staff("picker")
        for account in (granted, master):
            assign_perm("ledger.view_account", reporter, account)
            assign_perm("ledger.report_account", reporter, account)
        assign_perm("ledger.view_account", reporter, only_seen)
        assert master.account_type == Account.Type.MASTER
    connection.set_schema_to_public()
    # when the reports page is opened
    html = login(tenant_client(tenant_a), reporter, tenant_a).get(reverse("branding_reports"))
    html = html.content.decode()

    def offered(name):
        select = re.search(rf'<select name="{name}-account"[^>]*>(.*?)</select>', html, re.S)
        assert select, f"{name}: no list of accounts"
        return re.findall(r'<option value="([^"]+)"', select.group(1))

    # then each report lists the accounts the user may report on, by number and title;
    # the performance report (of an advisor master) lists masters only
    assert offered("confirmation") == sorted([granted.number, master.number])
    assert offered("gains") == sorted([granted.number, master.number])
    assert offered("performance") == [master.number]
    assert f"{granted.number} · Amelia Clarke" in html
    assert only_seen.number not in html
