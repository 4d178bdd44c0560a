"""FIXML 5.0 SP2 NewOrderSingle and OrderCancelRequest, validated against the official schema;
the FIXML file venue writes an accepted order and its cancel as files after commit."""

import io
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.conf import settings
from lxml import etree

from allocations.fixml import NS, fixml_validate
from trading.fixml import FixmlCancel, FixmlNewOrder, orders_fixml_write

SCHEMA_DIR = settings.BASE_DIR.parent / "shared" / "schemas" / "fixml-5.0-sp2"
AT = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)


def _order(**overrides):
    values = {
        "cl_ord_id": "tenant_a-1",
        "account": "U1000001",
        "side": "buy",
        "order_type": "limit",
        "quantity": D(100),
        "symbol": "AAPL",
        "currency": "USD",
        "transact_time": AT,
        "time_in_force": "gtc",
        "limit_price": D("187.25"),
        "margin_type": "reg_t",
        "security_id": "US0378331005",
        "security_id_source": "4",
    }
    return FixmlNewOrder(**(values | overrides))


def _write(messages):
    out = io.BytesIO()
    count = orders_fixml_write(out, messages)
    return count, out.getvalue()


def test_every_order_type_and_side_validates_against_the_schema():
    # given orders of every type and side, and a cancel
    orders = [
        _order(),
        _order(cl_ord_id="m", order_type="market", limit_price=None, time_in_force="day"),
        _order(cl_ord_id="s", side="sell", order_type="stop", limit_price=None, stop_price=D(180)),
        _order(cl_ord_id="sl", side="sell_short", order_type="stop_limit", stop_price=D(180)),
        _order(cl_ord_id="c", side="buy_to_cover", margin_type="cash", security_id=""),
    ]
    cancel = FixmlCancel(
        cl_ord_id="tenant_a-1-C",
        orig_cl_ord_id="tenant_a-1",
        order_id="BRK-77",
        account="U1000001",
        side="buy",
        quantity=D(60),
        symbol="AAPL",
        transact_time=AT,
    )
    # when they are written as one file
    count, data = _write([*orders, cancel])
    # then it is valid FIXML 5.0 SP2 with the FIX values
    assert count == 6
    assert fixml_validate(io.BytesIO(data), schema_dir=SCHEMA_DIR) == []
    root = etree.fromstring(data)
    ns = {"f": NS}
    first = root.find("f:Batch/f:Order", ns)
    assert {
        k: first.get(k) for k in ("ID", "Acct", "Side", "Typ", "Px", "TmInForce", "CshMgn")
    } == {
        "ID": "tenant_a-1",
        "Acct": "U1000001",
        "Side": "1",
        "Typ": "2",
        "Px": "187.25",
        "TmInForce": "1",
        "CshMgn": "2",
    }
    assert first.find("f:OrdQty", ns).get("Qty") == "100"
    assert first.find("f:Instrmt", ns).get("ID") == "US0378331005"
    sides = [
        (o.get("Side"), o.get("PosEfct"), o.get("Typ")) for o in root.iterfind(".//f:Order", ns)
    ]
    assert sides == [
        ("1", "O", "2"),
        ("1", "O", "1"),
        ("2", "C", "3"),
        ("5", "O", "4"),
        ("1", "C", "2"),
    ]
    cxl = root.find("f:Batch/f:OrdCxlReq", ns)
    assert (cxl.get("OrigID"), cxl.get("OrdID"), cxl.get("ID")) == (
        "tenant_a-1",
        "BRK-77",
        "tenant_a-1-C",
    )
    assert cxl.find("f:OrdQty", ns).get("Qty") == "60"


def test_the_schema_refuses_a_damaged_order():
    _, data = _write([_order()])
    damaged = data.replace(b' Side="1"', b' Side="Z"')
    errors = fixml_validate(io.BytesIO(damaged), schema_dir=SCHEMA_DIR)
    assert errors and "Side" in " ".join(errors)


def test_orders_without_their_prices_or_with_naive_times_are_refused():
    with pytest.raises(ValueError, match="limit price"):
        _write([_order(limit_price=None)])
    with pytest.raises(ValueError, match="aware"):
        _write([_order(transact_time=datetime(2026, 11, 30, 15, 30))])  # noqa: DTZ001


@pytest.mark.django_db
def test_the_fixml_venue_writes_an_accepted_order_and_its_cancel_after_commit(
    in_tenant_a, tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from trading.fixml_venue import FixmlFileVenue
    from trading.services import order_cancel, order_submit
    from trading.tests.factories import stock_make, ticket, trader_make
    from trading.venues import _VENUES

    # given the firm routes real accounts' orders to the FIXML file venue
    settings.TRADING_FIXML_ORDERS_DIR = str(tmp_path)
    monkeypatch.setitem(_VENUES, "live", FixmlFileVenue())
    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    # when a limit order is accepted
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = order_submit(
            user=user,
            tenant=in_tenant_a,
            ticket=ticket(account, stock, order_type="limit", limit_price=D("99.5")),
        )
    # then nothing is written before the commit, one valid file after it
    assert order.status == "accepted" and order.venue == "fixml"
    assert list(tmp_path.rglob("*.xml")) == []
    for callback in callbacks:
        callback()
    [written] = list(tmp_path.rglob("*.xml"))
    assert written.name == f"tenant_a-{order.pk}-new.xml"
    assert fixml_validate(written, schema_dir=SCHEMA_DIR) == []
    sent = etree.parse(str(written)).getroot().find(f"{{{NS}}}Batch/{{{NS}}}Order")
    assert (sent.get("Acct"), sent.get("Px"), sent.get("Side")) == (account.number, "99.5", "1")
    # when the client cancels it
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, actor=user)
    cancel = next(tmp_path.rglob("*-cancel.xml"))
    assert fixml_validate(cancel, schema_dir=SCHEMA_DIR) == []
    request = etree.parse(str(cancel)).getroot().find(f"{{{NS}}}Batch/{{{NS}}}OrdCxlReq")
    assert request.get("OrigID") == f"tenant_a-{order.pk}"
