"""The margin monitor after price loads and bookings: one margin call with the right amount, the
account restricted to closing orders, the liquidation list, notifications, events, the desk's
exception report; the call met by a deposit; intraday deficits recorded."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.core import mail
from django.http import Http404

from desk.exceptions import exceptions_report
from events.models import Event
from ledger.models import Account
from ledger.services import cash_deposit
from ledger.services.market import PriceRow, RateRow, fx_rates_load, prices_load
from trading.checks import run_checks
from trading.intent import OrderIntent, Side
from trading.margin_models import IntradayDeficit, MarginCall
from trading.margin_monitor import (
    call_deadline,
    liquidation_plan,
    margin_call_liquidation_confirm,
    margin_monitor_run,
)
from trading.tests.margin_factories import client_make, margin_account_make, stock_make, trade

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 25)  # Wednesday before Thanksgiving
NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def leveraged(in_tenant_a, frozen, django_capture_on_commit_callbacks):
    """A Reg T account of a client: 10,000 USD deposited, then 300 A and 100 B bought at 100 on
    margin (cash −30,000). Equity 10,000, maintenance 25 % of 40,000 = 10,000: excess 0."""
    tenant = in_tenant_a
    client = client_make()
    with django_capture_on_commit_callbacks(execute=True):
        a = stock_make(on=DAY, close="100")
        b = stock_make(on=DAY, close="100")
        account = margin_account_make(tenant, cash="10000", on=DAY, client=client)
        trade(account, a, "BUY", 300, "100", DAY)
        trade(account, b, "BUY", 100, "100", DAY)
    mail.outbox.clear()
    return tenant, client, account, a, b


def _load(instrument, close, capture):
    with capture(execute=True):
        prices_load(
            rows=[PriceRow(on=DAY, close=D(close), symbol=instrument.symbol, currency="USD")]
        )


def test_a_price_drop_opens_one_margin_call_and_restricts_the_account(
    leveraged, django_capture_on_commit_callbacks
):
    tenant, client, account, a, b = leveraged
    assert MarginCall.objects.filter(account=account).count() == 0
    # when A falls to 90: equity 27,000 + 10,000 − 30,000 = 7,000; maintenance 25 % of
    # 37,000 = 9,250; excess liquidity −2,250
    _load(a, "90", django_capture_on_commit_callbacks)
    # then exactly one call, for the deficit, due two NYSE sessions later (Thanksgiving is
    # closed: Friday the 27th, then Monday the 30th) at the close
    [call] = MarginCall.objects.filter(account=account)
    assert call.status == MarginCall.Status.OPEN
    assert (call.amount, call.current_amount, call.currency) == (D("2250"), D("2250"), "USD")
    assert (call.equity, call.maintenance_margin) == (D(7000), D(9250))
    assert call.deadline == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    account.refresh_from_db()
    assert account.status == Account.Status.RESTRICTED
    assert call.restricted_account
    # the liquidation sells A first (relief 25 % of 27,000 = 6,750 > B's 2,500): 100 shares
    # free 100 × 90 × 25 % = 2,250
    assert [
        (line["symbol"], line["quantity"], line["margin_relief"]) for line in call.liquidation
    ] == [(a.symbol, "100", "2250.00")]
    # the client and the compliance officers are e-mailed; the event stream has the call
    assert [m.to for m in mail.outbox if "Margin call" in m.subject][:1] == [[client.email]]
    kinds = list(Event.objects.filter(account_id=account.pk).values_list("kind", flat=True))
    assert "margin_call.opened" in kinds and "account.restricted" in kinds
    # only closing orders are accepted now
    buy = OrderIntent(account.pk, b.pk, Side.BUY, D(1), D(100))
    assert "margin_call_open" in {r.code for r in run_checks(buy) if r.blocks}

    # when the price falls further, no second call opens; the amount follows
    _load(a, "88", django_capture_on_commit_callbacks)
    # equity 26,400 + 10,000 − 30,000 = 6,400; maintenance 25 % of 36,400 = 9,100
    assert MarginCall.objects.filter(account=account).count() == 1
    call.refresh_from_db()
    assert (call.amount, call.current_amount) == (D("2250"), D("2700"))


def test_an_fx_rate_load_that_lowers_the_equity_opens_a_margin_call(
    in_tenant_a, frozen, django_capture_on_commit_callbacks
):
    # given a USD Reg T account holding EUR 10,000 of cash and 400 A bought at 100 USD on margin
    # (USD cash −40,000), EUR at 1 USD: equity 10,000, maintenance 25 % of 40,000 = 10,000
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        fx_rates_load(rows=[RateRow(on=DAY, from_currency="EUR", to_currency="USD", rate=D(1))])
        a = stock_make(on=DAY, close="100")
        account = margin_account_make(in_tenant_a, cash="0.01", on=DAY)
        cash_deposit(
            account=account,
            amount=D("9999.99"),
            currency="EUR",
            idempotency_key="fx-call-eur",
            value_date=DAY,
        )
        trade(account, a, "BUY", 400, "100", DAY)
    assert MarginCall.objects.filter(account=account).count() == 0
    # when EUR falls to 0.9 USD (no price moves): equity 9,000.001, excess −999.999
    with capture(execute=True):
        fx_rates_load(rows=[RateRow(on=DAY, from_currency="EUR", to_currency="USD", rate=D("0.9"))])
    # then the rate load alone opened the call, for the deficit rounded up to the cent
    [call] = MarginCall.objects.filter(account=account)
    assert (call.amount, call.currency) == (D("1000.00"), "USD")
    account.refresh_from_db()
    assert account.status == Account.Status.RESTRICTED


def test_the_desk_exception_report_lists_the_call_and_the_intraday_deficit(
    leveraged, django_capture_on_commit_callbacks
):
    tenant, client, account, a, b = leveraged
    _load(a, "90", django_capture_on_commit_callbacks)
    report = exceptions_report(tenant=tenant, kinds=["margin_call", "intraday_deficit"])
    call = MarginCall.objects.get(account=account)
    [item] = report.items["margin_call"]
    assert (item.key, item.subject) == (str(call.pk), account.number)
    assert "call 2250.00 USD" in item.detail and "liquidation to confirm" in item.detail
    [deficit] = report.items["intraday_deficit"]
    recorded = IntradayDeficit.objects.get(account=account)
    assert (recorded.amount, recorded.trade_date) == (D("2250"), DAY)
    assert deficit.key == str(recorded.pk)
    assert Event.objects.filter(kind="intraday_deficit.arisen", account_id=account.pk).count() == 1


def test_a_deposit_meets_the_call_and_reopens_the_account(
    leveraged, django_capture_on_commit_callbacks
):
    tenant, client, account, a, b = leveraged
    _load(a, "90", django_capture_on_commit_callbacks)
    call = MarginCall.objects.get(account=account)
    # when the client deposits less than the call, it stays open
    with django_capture_on_commit_callbacks(execute=True):
        cash_deposit(
            account=account, amount=D("2000"), currency="USD", idempotency_key="m1", value_date=DAY
        )
    call.refresh_from_db()
    assert (call.status, call.current_amount) == ("open", D("250"))
    # when the rest arrives
    with django_capture_on_commit_callbacks(execute=True):
        cash_deposit(
            account=account, amount=D("250"), currency="USD", idempotency_key="m2", value_date=DAY
        )
    call.refresh_from_db()
    account.refresh_from_db()
    assert call.status == MarginCall.Status.MET
    assert account.status == Account.Status.OPEN
    assert Event.objects.filter(kind="margin_call.met", account_id=account.pk).count() == 1
    assert IntradayDeficit.objects.get(account=account).resolved_at is not None


def test_a_staff_restriction_is_not_lifted_by_meeting_a_call(
    leveraged, django_capture_on_commit_callbacks
):
    tenant, client, account, a, b = leveraged
    from ledger.services import account_status_set

    account_status_set(tenant=tenant, account=account, status=Account.Status.RESTRICTED)
    _load(a, "90", django_capture_on_commit_callbacks)
    call = MarginCall.objects.get(account=account)
    assert not call.restricted_account
    with django_capture_on_commit_callbacks(execute=True):
        cash_deposit(
            account=account, amount=D("5000"), currency="USD", idempotency_key="m3", value_date=DAY
        )
    account.refresh_from_db()
    call.refresh_from_db()
    assert call.status == MarginCall.Status.MET
    assert account.status == Account.Status.RESTRICTED


def test_running_the_monitor_twice_opens_one_call(leveraged):
    tenant, client, account, a, b = leveraged
    from ledger.tests.factories import price_set

    price_set(a, DAY, "90")
    first = margin_monitor_run(tenant=tenant, account_ids=[account.pk])
    second = margin_monitor_run(tenant=tenant, account_ids=[account.pk])
    assert len(first.calls_opened) == 1 and second.calls_opened == []
    assert MarginCall.objects.filter(account=account).count() == 1


def test_a_compliance_officer_confirms_the_liquidation_once(
    leveraged, django_capture_on_commit_callbacks, tenant_b
):
    tenant, client, account, a, b = leveraged
    _load(a, "90", django_capture_on_commit_callbacks)
    call = MarginCall.objects.get(account=account)
    from django.contrib.auth.models import Group
    from django.core.exceptions import PermissionDenied, ValidationError

    from allocations.tests.factories import user_make
    from tenants.roles import COMPLIANCE_OFFICER
    from trading.margin_actions import MarginCallLiquidationConfirm

    officer = user_make(tenant)
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    officer.groups.add(Group.objects.get_or_create(name=COMPLIANCE_OFFICER)[0])
    # the client may not, and nothing is recorded
    with pytest.raises(PermissionDenied):
        MarginCallLiquidationConfirm(actor=client, tenant=tenant, call_id=call.pk).execute()
    call.refresh_from_db()
    assert call.liquidation_confirmed_at is None
    # another tenant cannot reach the call
    with pytest.raises(Http404):
        margin_call_liquidation_confirm(actor=officer, tenant=tenant_b, call_id=call.pk)
    confirmed = MarginCallLiquidationConfirm(
        actor=officer, tenant=tenant, call_id=call.pk
    ).execute()
    assert confirmed.liquidation_confirmed_by == officer
    with pytest.raises(ValidationError, match="was confirmed"):
        MarginCallLiquidationConfirm(actor=officer, tenant=tenant, call_id=call.pk).execute()


def test_a_rolled_back_booking_monitors_nothing(leveraged, django_capture_on_commit_callbacks):
    tenant, client, account, a, b = leveraged
    from django.db import transaction

    from ledger.tests.factories import price_set

    price_set(a, DAY, "90")
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                trade(account, b, "BUY", 1, "100", DAY)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert not MarginCall.objects.filter(account=account).exists()
    # the next booking that commits is monitored (a fresh collection)
    with django_capture_on_commit_callbacks(execute=True):
        trade(account, b, "BUY", 1, "100", DAY)
    assert MarginCall.objects.filter(account=account).count() == 1


def test_paper_accounts_and_cash_accounts_get_no_call(in_tenant_a, frozen):
    tenant = in_tenant_a
    stock = stock_make(on=DAY, close="100")
    cash_account = margin_account_make(tenant, cash="1000", on=DAY, margin_type="cash")
    trade(cash_account, stock, "BUY", 10, "100", DAY)
    from ledger.tests.factories import price_set

    price_set(stock, DAY, "1")
    result = margin_monitor_run(tenant=tenant, account_ids=[cash_account.pk])
    assert result.calls_opened == []


def test_liquidation_plan_and_deadline_are_pure_arithmetic():
    from ledger.domain.valuation import PositionValue

    positions = [
        PositionValue("B", "STK", D(100), D(100), D(10000), D(0), D(0), D(0)),
        PositionValue("S", "STK", D(-50), D(100), D(-5000), D(0), D(0), D(0)),
        PositionValue("A", "STK", D(300), D(90), D(27000), D(0), D(0), D(0)),
    ]
    plan = liquidation_plan(positions, D("8000"))
    # reliefs: A 6,750, B 2,500, S 1,500 (30 % short); A whole, then 50 of B (1,250 needed)
    assert [(p["symbol"], p["side"], p["quantity"]) for p in plan] == [
        ("A", "sell", "300"),
        ("B", "sell", "50"),
    ]
    assert plan[-1]["cumulative_relief"] == "8000.00"
    # Thursday 2026-12-24 (a half day) → Christmas is closed: Monday the 28th, Tuesday the 29th
    opened = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    assert call_deadline(opened=opened, business_days=2) == datetime(
        2026, 12, 29, 21, 0, tzinfo=UTC
    )
