"""The Broker Portal's margin calls page: a compliance officer sees the open call with its
liquidation list and confirms it; other roles and another tenant's officer cannot."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django_tenants.utils import tenant_context

from ledger.tests.factories import price_set
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client
from trading.margin_models import MarginCall
from trading.margin_monitor import margin_monitor_run
from trading.tests.margin_factories import margin_account_make, stock_make, trade

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


@pytest.fixture
def call(tenant_a):
    """A margin call of 2,250 USD: 300 shares bought at 100 on 10,000 of equity, close 90."""
    with time_machine.travel(NOW, tick=False), tenant_context(tenant_a):
        stock = stock_make(on=DAY, close="100")
        account = margin_account_make(tenant_a, cash="10000", on=DAY)
        trade(account, stock, "BUY", 400, "100", DAY)
        price_set(stock, DAY, "90")
        [pk] = margin_monitor_run(tenant=tenant_a, account_ids=[account.pk]).calls_opened
        return MarginCall.objects.select_related("account").get(pk=pk), stock


def test_an_officer_sees_the_call_and_confirms_its_liquidation(tenant_a, call):
    margin_call, stock = call
    officer = user_make(tenant=tenant_a, username="mc-co", roles=["Compliance Officer"])
    client = login(tenant_client(tenant_a), officer, tenant_a)
    # when
    page = client.get("/broker/margin-calls/")
    confirmed = client.post("/broker/margin-calls/confirm/", {"call_id": margin_call.pk})
    again = client.get("/broker/margin-calls/")
    # then: equity 36,000 − 30,000 = 6,000 against 9,000: 3,000 called, 134 shares to sell
    assert page.status_code == 200
    html = page.content.decode()
    assert margin_call.account.number in html and "3000" in html
    assert f"<td>{stock.symbol}</td><td>sell</td><td>134</td>" in html
    assert confirmed.status_code == 302
    with tenant_context(tenant_a):
        margin_call.refresh_from_db()
    assert margin_call.liquidation_confirmed_by_id == officer.pk
    assert "Liquidation confirmed" in again.content.decode()


def test_a_viewer_and_another_tenants_officer_cannot_confirm(tenant_a, tenant_b, call):
    margin_call, stock = call
    viewer = user_make(tenant=tenant_a, username="mc-viewer", roles=["Viewer"])
    viewer_client = login(tenant_client(tenant_a), viewer, tenant_a)
    other = user_make(tenant=tenant_b, username="mc-co-b", roles=["Compliance Officer"])
    other_client = login(tenant_client(tenant_b), other, tenant_b)
    # when
    viewer_get = viewer_client.get("/broker/margin-calls/")
    viewer_post = viewer_client.post("/broker/margin-calls/confirm/", {"call_id": margin_call.pk})
    other_get = other_client.get("/broker/margin-calls/")
    other_post = other_client.post("/broker/margin-calls/confirm/", {"call_id": margin_call.pk})
    # then
    # (the Broker Portal answers a refusal with a redirect to its home and a message)
    assert (viewer_get.status_code, viewer_get["Location"]) == (302, "/broker/")
    assert (viewer_post.status_code, viewer_post["Location"]) == (302, "/broker/")
    assert other_get.status_code == 200
    assert margin_call.account.number not in other_get.content.decode()
    assert other_post.status_code == 404
    with tenant_context(tenant_a):
        margin_call.refresh_from_db()
    assert margin_call.liquidation_confirmed_at is None
