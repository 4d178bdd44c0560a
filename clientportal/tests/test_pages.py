import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import tenant_context

from ledger.models import Instrument
from ledger.selectors import account_valuation
from tests.support.clientportal import (
    account_for_client,
    account_fund_and_buy,
    client_user_make,
    instruments_make,
)

from .conftest import portal_client

PAGES = [
    "clientportal:home",
    "clientportal:positions",
    "clientportal:performance",
    "clientportal:cash",
    "clientportal:transfers",
    "clientportal:activity",
    "clientportal:statements",
    "clientportal:messages",
    "clientportal:content",
]


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">(?:<span class="neg">)?([^<]+)<', html)
    return match.group(1).strip()


def test_dashboard_figures_equal_the_ledger_valuation(tenant_a, holder):
    # given 8,497 cash (10,000 - 1,500 - 3 commission) and 3,030 of stock
    user, account = holder
    with tenant_context(tenant_a):
        valuation = account_valuation(tenant=tenant_a, account=account)
    client = portal_client(tenant_a, user)
    # when
    html = client.get(reverse("clientportal:home")).content.decode()
    # then
    assert valuation.nlv == Decimal("11527")
    assert _figure(html, "nlv") == "11,527.00"
    assert _figure(html, "settled_cash") == "8,497.00"
    assert _figure(html, "buying_power") == f"{valuation.buying_power:,.2f}"
    # the 3 commissions are in the cost basis (Pub. 550)
    assert _figure(html, "unrealized_pnl") == "1,527.00"
    assert _figure(html, "daily_pnl") == "30.00"
    assert _figure(html, "excess_liquidity") == f"{valuation.excess_liquidity:,.2f}"


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_for_a_client(tenant_a, holder, name):
    user, _ = holder
    response = portal_client(tenant_a, user).get(reverse(name))
    assert response.status_code == 200


def test_positions_csv_export(tenant_a, holder):
    user, account = holder
    response = portal_client(tenant_a, user).get(
        reverse("clientportal:positions"), {"format": "csv", "sort": "symbol"}
    )
    lines = response.content.decode().splitlines()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert lines[0] == (
        "account,symbol,asset_class,quantity,price,market_value,cost_basis,unrealized_pnl,"
        "unrealized_pct"
    )
    assert len(lines) == 4
    first = lines[1].split(",")
    assert first[0] == account.number
    # the 1.00 commission is in the cost basis (Pub. 550): 501, unrealized 499 (99.60 %)
    assert [Decimal(v) for v in first[3:9]] == [
        Decimal(10),
        Decimal(100),
        Decimal(1000),
        Decimal(501),
        Decimal(499),
        Decimal("99.60"),
    ]


TENANT_RESOLUTION = ("SET search_path", 'SELECT "tenants_domain"')


def _queries(client, url) -> tuple[int, int]:
    """(all statements, the page's own: without the middleware's tenant resolution)"""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    statements = [q["sql"] for q in captured.captured_queries]
    own = [sql for sql in statements if not sql.startswith(TENANT_RESOLUTION)]
    return len(statements), len(own)


@pytest.mark.parametrize("name", ["clientportal:home", "clientportal:positions"])
def test_page_costs_a_fixed_number_of_queries_whatever_the_positions(tenant_a, name):
    # given two clients, one with 2 positions, one with 25
    counts = {}
    for size in (2, 25):
        with tenant_context(tenant_a):
            user = client_user_make(username=f"qc-{name[-4:]}-{size}")
            account = account_for_client(tenant=tenant_a, user=user)
            account_fund_and_buy(
                account=account,
                cash=Decimal("100000"),
                instruments=instruments_make(prefix=f"Q{name[-3:]}{size}X", count=size),
                quantity=Decimal(1),
                price=Decimal(10),
                key=f"qc-{name}-{size}",
            )
        client = portal_client(tenant_a, user)
        client.get(reverse(name))  # warm per-process caches (content types, site settings)
        # when
        counts[size] = _queries(client, reverse(name))
    # then
    assert counts[2] == counts[25]
    assert counts[25][1] <= 15


def test_another_tenants_account_is_a_404(tenant_a, tenant_b, holder):
    # given a client of tenant B
    _, a_account = holder
    with tenant_context(tenant_b):
        b_user = client_user_make(username="b-client")
        account_for_client(tenant=tenant_b, user=b_user)
    client = portal_client(tenant_b, b_user)
    # when B's client asks for A's account on B's host
    response = client.get(reverse("clientportal:positions"), {"account": a_account.pk})
    # then
    assert response.status_code == 404


def test_an_account_not_granted_is_a_404(tenant_a, holder):
    _, account = holder
    with tenant_context(tenant_a):
        other = client_user_make(username="no-grant")
        account_for_client(tenant=tenant_a, user=other)
    response = portal_client(tenant_a, other).get(
        reverse("clientportal:home"), {"account": account.pk}
    )
    assert response.status_code == 404


def test_consolidated_view_sums_the_accounts(tenant_a, holder):
    # given a second account of the same client with 500 USD
    user, account = holder
    with tenant_context(tenant_a):
        ira = account_for_client(tenant=tenant_a, user=user, account_type="ira", title="IRA")
        account_fund_and_buy(
            account=ira,
            cash=Decimal("500"),
            instruments=[],
            quantity=Decimal(1),
            price=Decimal(1),
            key=f"ira-{ira.pk}",
        )
    # when
    html = portal_client(tenant_a, user).get(reverse("clientportal:home"), {"account": "all"})
    # then
    assert _figure(html.content.decode(), "nlv") == "12,027.00"


def test_announcements_are_on_the_dashboard(tenant_a, holder):
    from branding.pages import AnnouncementPage
    from tests.support.branding import content_page_add

    user, _ = holder
    with tenant_context(tenant_a):
        page = content_page_add(AnnouncementPage(title="Holiday hours", summary="Closed Friday"))
    html = portal_client(tenant_a, user).get(reverse("clientportal:home")).content.decode()
    assert "Holiday hours" in html and "Closed Friday" in html
    detail = portal_client(tenant_a, user).get(
        reverse("clientportal:content_detail", args=[page.pk])
    )
    assert detail.status_code == 200


def test_dashboard_lists_the_latest_entries_newest_first(tenant_a, holder):
    # given a deposit then three buys, all ten days ago, and a withdrawal booked today
    user, account = holder
    with tenant_context(tenant_a):
        from ledger.services import cash_withdraw

        cash_withdraw(account=account, amount=Decimal(5), currency="USD", idempotency_key="w-x")
    # when
    html = portal_client(tenant_a, user).get(reverse("clientportal:home")).content.decode()
    # then the withdrawal comes first, then the buys in reverse booking order, then the deposit
    items = re.findall(r"<li>[^<]* · ([^<]+)</li>", html.split("Recent activity")[1])
    symbols = [
        i.symbol for i in Instrument.objects.filter(symbol__startswith=items[1].split()[2][:-4])
    ]
    assert items == [
        "Withdrawal",
        f"BUY 10 {symbols[2]} @ 50",
        f"BUY 10 {symbols[1]} @ 50",
        f"BUY 10 {symbols[0]} @ 50",
        "Deposit",
    ]


def test_statements_page_lists_the_accounts_issued_statements(tenant_a, holder):
    # given an issued monthly statement of the holder's account
    from branding.statements.services import statement_issue

    user, account = holder
    today = timezone.localdate()
    with tenant_context(tenant_a):
        issued, _ = statement_issue(
            account=account,
            period_kind="monthly",
            period_start=today.replace(day=1),
            period_end=today,
        )
    # when
    html = portal_client(tenant_a, user).get(reverse("clientportal:statements")).content.decode()
    # then it is listed with its downloads
    assert account.number in html
    assert reverse("statements:download", args=[issued.pk, "pdf"]) in html


def test_another_tenants_content_page_is_a_404(tenant_a, tenant_b):
    # given an announcement of tenant A and a logged-in client of tenant B
    from branding.pages import AnnouncementPage
    from tests.support.branding import content_page_add

    with tenant_context(tenant_a):
        page = content_page_add(AnnouncementPage(title="A only", summary="for A's clients"))
    with tenant_context(tenant_b):
        b_user = client_user_make(username="b-reader")
    client = portal_client(tenant_b, b_user)
    # when B's client asks for A's page id on B's host
    response = client.get(reverse("clientportal:content_detail", args=[page.pk]))
    dashboard = client.get(reverse("clientportal:home")).content.decode()
    # then
    assert response.status_code == 404
    assert "A only" not in dashboard


@pytest.mark.parametrize(("group", "label"), [("class", "Stocks"), ("currency", "USD")])
def test_positions_group_with_a_subtotal(tenant_a, holder, group, label):
    # given three stocks in USD: 10 each at closes 100, 101 and 102
    user, _ = holder
    # when grouped
    html = (
        portal_client(tenant_a, user)
        .get(reverse("clientportal:positions"), {"group": group})
        .content.decode()
    )
    # then one group holds the three rows under its total market value
    assert html.count('<tbody data-group="') == 1
    body = html.split(f'<tbody data-group="{label}">')[1].split("</tbody>")[0]
    assert f'{label} <span class="muted">(3)</span>' in body
    assert "<strong>3,030.00</strong>" in body
    assert body.count("<tr>") == 3
