"""The portal's cached figures (clientportal.selectors: `dashboard_figures`, `portal_valuation`)
follow every change of the ledger and the market at once, and stay within their tenant."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import tenant_context

from clientportal.selectors import figures_cache_key
from ledger.models import Instrument, Price
from ledger.selectors import account_valuation
from ledger.services import cash_deposit, instrument_settlement_rule, trade_book
from tests.support.clientportal import (
    account_for_client,
    account_fund_and_buy,
    client_user_make,
    instruments_make,
)

from .conftest import portal_client

pytestmark = pytest.mark.usefixtures("_figures_cached")


@pytest.fixture
def _figures_cached(settings):
    settings.PORTAL_FIGURES_CACHE = True


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">(?:<span class="neg">)?([^<]+)<', html)
    return match.group(1).strip()


def _dashboard(client) -> str:
    response = client.get(reverse("clientportal:home"))
    assert response.status_code == 200
    return response.content.decode()


def _cached_dashboard_key(tenant, account) -> str:
    from clientportal.views.dashboard import RECENT_ACTIVITY, TOP_POSITIONS

    with tenant_context(tenant):
        return figures_cache_key(
            f"dashboard:{TOP_POSITIONS}:{RECENT_ACTIVITY}", tenant=tenant, accounts=[account]
        )


def test_the_dashboard_is_served_from_the_cache_while_the_ledger_is_unchanged(tenant_a, holder):
    # given a client whose dashboard was shown once
    user, account = holder
    client = portal_client(tenant_a, user)
    first = _dashboard(client)
    # when nothing changes
    key = _cached_dashboard_key(tenant_a, account)
    # then the figures are cached under the ledger's current state, and shown again
    with tenant_context(tenant_a):
        cached = cache.get(key)
    assert cached is not None
    assert cached.total.nlv == Decimal("11527")
    assert _figure(_dashboard(client), "nlv") == _figure(first, "nlv") == "11,527.00"


def test_a_deposit_changes_the_dashboard_figures_at_once(tenant_a, holder):
    # given a dashboard shown (and cached) at 11,527 NLV, 8,497 settled cash
    user, account = holder
    client = portal_client(tenant_a, user)
    before = _dashboard(client)
    assert _figure(before, "nlv") == "11,527.00"
    # when 1,000 USD are deposited
    with tenant_context(tenant_a):
        cash_deposit(account=account, amount=Decimal(1000), currency="USD", idempotency_key="cc:d")
    # then the next page shows them, and the recent activity lists the deposit
    after = _dashboard(client)
    assert _figure(after, "nlv") == "12,527.00"
    assert _figure(after, "settled_cash") == "9,497.00"
    assert "Deposit" in after.split("Recent activity", 1)[1]


def test_a_trade_changes_the_dashboard_and_positions_at_once(tenant_a, holder):
    # given both pages shown (and cached) with three positions
    user, account = holder
    with tenant_context(tenant_a):
        [instrument] = instruments_make(prefix="CCT", count=1)
    client = portal_client(tenant_a, user)
    _dashboard(client)
    positions_url = reverse("clientportal:positions")
    assert client.get(positions_url).content.decode().count("<tr") == 4
    # when the client buys 7 of a fourth stock at 20 (close today 100), booked by the journal
    with tenant_context(tenant_a):
        trade_book(
            account=account,
            instrument=instrument,
            side="BUY",
            quantity=Decimal(7),
            price=Decimal(20),
            # today, or the last trading day when the market is closed today
            trade_date=instrument_settlement_rule(instrument).last_business_day(
                timezone.localdate()
            ),
            idempotency_key="cc:t",
        )
    # then cash went down by 140, stock up by 700: NLV + 560; five rows on the positions page
    html = _dashboard(client)
    assert _figure(html, "nlv") == "12,087.00"
    assert "All 4 positions" in html
    assert "CCT0000" in html
    assert client.get(positions_url).content.decode().count("<tr") == 5


def test_a_bulk_execution_import_changes_the_dashboard_at_once(tenant_a, holder):
    # given a dashboard shown (and cached)
    user, account = holder
    with tenant_context(tenant_a):
        instruments = instruments_make(prefix="CCB", count=2)
    client = portal_client(tenant_a, user)
    _dashboard(client)
    # when two executions are imported by the bulk path (COPY), 1 share each at 50
    with tenant_context(tenant_a):
        account_fund_and_buy(
            account=account,
            cash=Decimal("0.01"),
            instruments=instruments,
            quantity=Decimal(1),
            price=Decimal(50),
            key="cc:bulk",
        )
        expected = account_valuation(tenant=tenant_a, account=account)
    # then: two more positions, and the ledger's NLV
    html = _dashboard(client)
    assert "All 5 positions" in html
    assert _figure(html, "nlv") == f"{expected.nlv:,.2f}"
    assert expected.nlv != Decimal("11527")


def test_new_and_corrected_closes_and_instruments_change_the_dashboard_at_once(tenant_a, holder):
    # given a dashboard shown (and cached): 10 each of stocks closing at 100, 101 and 102
    user, account = holder
    client = portal_client(tenant_a, user)
    assert _figure(_dashboard(client), "nlv") == "11,527.00"
    instrument = Instrument.objects.get(
        pk=account.positions.order_by("instrument__symbol").values_list("instrument", flat=True)[0]
    )
    # when today's close of the first is corrected in place (admin), 100 -> 110
    price = Price.objects.get(instrument=instrument, date=timezone.localdate())
    price.close = Decimal(110)
    price.save(update_fields=["close"])
    # then
    assert _figure(_dashboard(client), "nlv") == "11,627.00"
    # when the instrument's multiplier is corrected (admin), 1 -> 2
    instrument.multiplier = Decimal(2)
    instrument.save(update_fields=["multiplier"])
    # then its 10 shares count twice: 11,627 + 1,100
    assert _figure(_dashboard(client), "nlv") == "12,727.00"
    # when a close is inserted in bulk (no signal), the cache key changes with it
    key_before = _cached_dashboard_key(tenant_a, account)
    Price.objects.bulk_create(
        [Price(instrument=instrument, date=timezone.localdate() - timedelta(days=5), close=1)]
    )
    # then
    assert _cached_dashboard_key(tenant_a, account) != key_before


def test_tenant_b_never_sees_tenant_a_cached_figures(tenant_a, tenant_b, holder):
    # given tenant A's dashboard cached
    a_user, a_account = holder
    a_html = _dashboard(portal_client(tenant_a, a_user))
    assert _figure(a_html, "nlv") == "11,527.00"
    a_key = _cached_dashboard_key(tenant_a, a_account)
    # and a client of tenant B with 500 USD and no positions
    with tenant_context(tenant_b):
        b_user = client_user_make(username="cc-b-client")
        b_account = account_for_client(tenant=tenant_b, user=b_user)
        cash_deposit(account=b_account, amount=Decimal(500), currency="USD", idempotency_key="cc:b")
        # when B's schema asks the cache for A's key
        from_b = cache.get(a_key)
    # then nothing: keys are prefixed by the tenant's schema
    assert from_b is None
    b_client = portal_client(tenant_b, b_user)
    b_html = _dashboard(b_client)
    assert _figure(b_html, "nlv") == "500.00"
    assert "No positions." in b_html
    # and A's account asked for on B's host is a 404, cached or not
    assert b_client.get(reverse("clientportal:home"), {"account": a_account.pk}).status_code == 404
    # and B's key for the same accounts differs from A's (the tenant is part of it)
    assert _cached_dashboard_key(tenant_b, a_account) != a_key
