"""The trade ticket, the orders page and paper accounts in the client portal; every order and
account scoped to the login (another tenant's or another client's order is a 404, GET and
POST)."""

from decimal import Decimal

from django.db import connection
from django.urls import reverse
from django_tenants.utils import tenant_context

from ledger.models import Account
from trading.models import Order
from trading.services import order_submit
from trading.tests.factories import stock_make, ticket, trader_make

from .conftest import portal_client

D = Decimal


def _trader(tenant, **kwargs):
    with tenant_context(tenant):
        user, account = trader_make(tenant, **kwargs)
    connection.set_schema_to_public()
    return user, account


def _stock(tenant, close="100", **kwargs):
    with tenant_context(tenant):
        stock = stock_make(close, **kwargs)
    connection.set_schema_to_public()
    return stock


def _order(tenant, user, account, stock, **kwargs):
    kwargs.setdefault("order_type", "limit")
    kwargs.setdefault("limit_price", D("95"))
    with tenant_context(tenant):
        order = order_submit(user=user, tenant=tenant, ticket=ticket(account, stock, **kwargs))
    connection.set_schema_to_public()
    return order


def _form(account, stock, **extra):
    data = {
        "account": account.pk,
        "instrument": stock.pk,
        "side": "buy",
        "order_type": "limit",
        "quantity": "10",
        "limit_price": "95",
        "time_in_force": "gtc",
    }
    data.update(extra)
    return data


def test_every_portal_page_has_the_trade_link_and_the_ticket_finds_instruments(tenant_a):
    user, account = _trader(tenant_a)
    stock = _stock(tenant_a, symbol="ZQXW")
    client = portal_client(tenant_a, user)
    positions = client.get(reverse("clientportal:positions")).content.decode()
    assert f'href="{reverse("clientportal:trade")}"' in positions
    page = client.get(reverse("clientportal:trade"), {"q": "zqx"}).content.decode()
    assert f'?instrument={stock.pk}">ZQXW</a>' in page
    ticket_page = client.get(reverse("clientportal:trade"), {"instrument": stock.pk})
    body = ticket_page.content.decode()
    assert ticket_page.status_code == 200
    assert '<label for="id_quantity">Quantity:</label>' in body
    assert '<label for="id_limit_price">Limit price:</label>' in body


def test_preview_then_place_a_limit_order(tenant_a):
    user, account = _trader(tenant_a)
    stock = _stock(tenant_a)
    client = portal_client(tenant_a, user)
    url = reverse("clientportal:trade")
    preview = client.post(url, _form(account, stock, action="preview"))
    body = preview.content.decode()
    assert preview.status_code == 200
    assert "Estimated commission" in body and "1.00 USD" in body
    assert "951.00 USD" in body  # 10 × 95 + 1.00
    assert 'id="place-order"' in body
    placed = client.post(url, _form(account, stock, action="submit"))
    with tenant_context(tenant_a):
        order = Order.objects.get(account_id=account.pk)
        assert (order.status, order.preview["commission"]) == ("accepted", "1.00")
    assert placed.status_code == 302
    assert placed["Location"] == reverse("clientportal:order_detail", args=[order.pk])
    dashboard = client.get(reverse("clientportal:home")).content.decode()
    assert f"#{order.pk}</a> Buy 10 {stock.symbol}" in dashboard


def test_an_option_order_not_permitted_is_blocked_in_the_preview(tenant_a):
    user, account = _trader(tenant_a)
    option = _stock(tenant_a, "2.5", asset_class="OPT", multiplier=100)
    client = portal_client(tenant_a, user)
    response = client.post(
        reverse("clientportal:trade"),
        _form(account, option, action="preview", quantity="1", limit_price="2.5"),
    )
    body = response.content.decode()
    assert 'data-code="options_not_permitted"' in body
    assert "needs options level 2, the account has level 0" in body
    assert 'id="place-order"' not in body


def test_a_warning_must_be_confirmed_before_the_order_is_placed(tenant_a):
    user, account = _trader(tenant_a)
    stock = _stock(tenant_a)
    _order(tenant_a, user, account, stock)
    client = portal_client(tenant_a, user)
    url = reverse("clientportal:trade")
    refused = client.post(url, _form(account, stock, action="submit"))
    assert refused.status_code == 400
    assert 'data-code="duplicate_order"' in refused.content.decode()
    with tenant_context(tenant_a):
        assert Order.objects.filter(account_id=account.pk).count() == 1
    placed = client.post(url, _form(account, stock, action="submit", confirm="duplicate_order"))
    assert placed.status_code == 302
    with tenant_context(tenant_a):
        newest = Order.objects.filter(account_id=account.pk).order_by("-id").first()
        assert [c["code"] for c in newest.confirmations] == ["duplicate_order"]


def test_the_orders_page_lists_and_cancels(tenant_a):
    user, account = _trader(tenant_a)
    stock = _stock(tenant_a)
    order = _order(tenant_a, user, account, stock)
    client = portal_client(tenant_a, user)
    page = client.get(reverse("clientportal:orders")).content.decode()
    assert f'data-order="{order.pk}"' in page
    response = client.post(reverse("clientportal:order_cancel", args=[order.pk]))
    assert response.status_code == 302
    with tenant_context(tenant_a):
        assert Order.objects.get(pk=order.pk).status == "cancelled"
    cancelled = client.get(reverse("clientportal:orders"), {"state": "cancelled"})
    assert f'data-order="{order.pk}"' in cancelled.content.decode()


def test_another_tenants_or_clients_order_is_404_on_get_and_post(tenant_a, tenant_b):
    # given an order in tenant B and one of another client of tenant A
    user_b, account_b = _trader(tenant_b)
    stock = _stock(tenant_b)
    order_b = _order(tenant_b, user_b, account_b, stock)
    other, other_account = _trader(tenant_a)
    order_other = _order(tenant_a, other, other_account, stock)
    user, _ = _trader(tenant_a)
    client = portal_client(tenant_a, user)
    for order in (order_b, order_other):
        assert client.get(reverse("clientportal:order_detail", args=[order.pk])).status_code == 404
        assert client.post(reverse("clientportal:order_cancel", args=[order.pk])).status_code == 404
    # and a ticket naming another's account is refused, nothing stored
    response = client.post(
        reverse("clientportal:trade"), _form(other_account, stock, action="submit")
    )
    assert response.status_code in (400, 404)
    with tenant_context(tenant_a):
        assert Order.objects.get(pk=order_other.pk).status == "accepted"
        assert Order.objects.filter(account_id=other_account.pk).count() == 1
    with tenant_context(tenant_b):
        assert Order.objects.get(pk=order_b.pk).status == "accepted"


def test_a_client_opens_a_paper_account_shown_as_paper(tenant_a):
    user, account = _trader(tenant_a)
    client = portal_client(tenant_a, user)
    response = client.post(reverse("clientportal:paper_open"))
    assert response.status_code == 302
    paper = Account.objects.get(external_ref=f"paper:{user.pk}")
    assert paper.is_paper
    page = client.get(reverse("clientportal:home"), {"account": paper.pk}).content.decode()
    assert f"{paper.number} · PAPER (simulated)</option>" in page
    # consolidated figures leave the paper account out: one real account, nothing to consolidate
    assert "All accounts (consolidated)" not in page
