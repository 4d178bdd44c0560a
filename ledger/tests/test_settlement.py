"""Settle dates on the markets' published calendars (exchange_calendars); no database."""

from datetime import date

import pytest
import time_machine

from ledger.domain import settlement
from ledger.domain.settlement import settlement_rule

US_STOCK = settlement_rule(asset_class="STK", currency="USD", exchange="NYSE")
UK_STOCK = settlement_rule(asset_class="STK", currency="GBP", exchange="LSE")
DE_STOCK = settlement_rule(asset_class="STK", currency="EUR", exchange="IBIS")
EUR_USD = settlement_rule(asset_class="CASH", currency="USD", symbol="EUR.USD")


@pytest.mark.parametrize(
    ("exchange", "currency", "calendars"),
    [
        ("NYSE", "USD", ("XNYS",)),
        ("", "USD", ("XNYS",)),  # blank: the currency's main market
        ("SMART", "USD", ("XNYS",)),  # a routing code names no market
        ("ARCA", "USD", ("XNYS",)),
        ("xnas", "USD", ("XNYS",)),
        ("LSE", "GBP", ("XLON",)),
        ("IBIS", "EUR", ("XETR",)),
        ("SBF", "EUR", ("XPAR",)),
        ("AEB", "EUR", ("XAMS",)),
        ("EBS", "CHF", ("XSWX",)),
        ("TSE", "CAD", ("XTSE",)),
        ("SEHK", "HKD", ("XHKG",)),
        ("XWAR", "PLN", ("XWAR",)),  # a MIC the package knows
        ("", "JPY", ("XTKS",)),
        ("", "XAU", ()),  # no market: weekdays
    ],
)
def test_exchange_or_else_currency_names_the_calendar(exchange, currency, calendars):
    # when
    rule = settlement_rule(asset_class="STK", currency=currency, exchange=exchange)
    # then
    assert rule.calendars == calendars


def test_us_stock_skips_thanksgiving():
    # given: Wednesday 25 November 2026; DTC and the NYSE are closed on Thanksgiving, the 26th
    # when / then: T+1 is Friday the 27th
    assert US_STOCK.settle_date(date(2026, 11, 25)) == date(2026, 11, 27)
    assert US_STOCK.closed_reason(date(2026, 11, 26)) == (
        "2026-11-26 (Thursday) is a closed day of XNYS"
    )


def test_us_stock_settled_t_plus_2_before_28_may_2024():
    # given: Friday 24 May 2024, the last T+2 trade date; Monday 27 May was Memorial Day
    # when / then
    assert US_STOCK.settle_date(date(2024, 5, 24)) == date(2024, 5, 29)
    assert US_STOCK.settle_date(date(2024, 5, 28)) == date(2024, 5, 29)


def test_uk_stock_settles_t_plus_2_over_christmas():
    # given: Thursday 24 December 2026; XLON is closed on Christmas Day (Friday the 25th) and
    # on Monday the 28th (Boxing Day, Saturday the 26th, is observed on the next weekday)
    assert UK_STOCK.closed_reason(date(2026, 12, 28)) is not None
    # when / then: T+1 is Tuesday the 29th, T+2 Wednesday the 30th
    assert UK_STOCK.settle_date(date(2026, 12, 24)) == date(2026, 12, 30)


def test_an_explicit_settle_date_wins_over_the_calendar():
    # given: the broker settles a trade on the Saturday (a negotiated settlement)
    # when / then
    assert US_STOCK.settle_date(date(2026, 11, 25), explicit=date(2026, 11, 28)) == date(
        2026, 11, 28
    )


def test_fx_counts_only_days_both_markets_are_open():
    # given: EUR.USD on Wednesday 25 November 2026; the US is closed on the 26th, XETR open
    # when / then: T+2 skips the 26th: Friday the 27th and Monday the 30th
    assert EUR_USD.calendars == ("XETR", "XNYS")
    assert EUR_USD.settle_date(date(2026, 11, 25)) == date(2026, 11, 30)
    # and Tuesday 22 December: XETR closes on the 24th and 25th, the US on the 25th
    assert EUR_USD.settle_date(date(2026, 12, 22)) == date(2026, 12, 28)
    # and USD/CAD settles T+1
    usd_cad = settlement_rule(asset_class="CASH", currency="CAD", symbol="USD.CAD")
    assert usd_cad.settle_date(date(2026, 11, 25)) == date(2026, 11, 27)


def test_weekend_and_saturday_trade_date():
    # given: Friday 20 November 2026, and a trade dated Saturday the 21st
    saturday = date(2026, 11, 21)
    # when / then: Friday T+1 is Monday; a Saturday trade counts from Monday, as if booked then
    assert US_STOCK.settle_date(date(2026, 11, 20)) == date(2026, 11, 23)
    assert US_STOCK.closed_reason(saturday) == "2026-11-21 (Saturday) is a closed day of XNYS"
    assert US_STOCK.settle_date(saturday) == date(2026, 11, 24)
    assert DE_STOCK.settle_date(date(2026, 11, 20)) == date(2026, 11, 24)


def test_good_friday_and_easter_monday_2027():
    # given: Thursday 25 March 2027; Good Friday (26th) closes the NYSE, XLON and XETR, Easter
    # Monday (29th) only XLON and XETR
    thursday = date(2027, 3, 25)
    # when / then
    assert US_STOCK.settle_date(thursday) == date(2027, 3, 29)
    assert UK_STOCK.settle_date(thursday) == date(2027, 3, 31)
    assert DE_STOCK.settle_date(thursday) == date(2027, 3, 31)


def test_new_year():
    # given: Thursday 31 December 2026 (XETR closed; NYSE and XLON open), 1 January closed
    # when / then
    assert US_STOCK.settle_date(date(2026, 12, 31)) == date(2027, 1, 4)
    assert UK_STOCK.settle_date(date(2026, 12, 31)) == date(2027, 1, 5)
    assert DE_STOCK.closed_reason(date(2026, 12, 31)) == (
        "2026-12-31 (Thursday) is a closed day of XETR"
    )
    assert EUR_USD.settle_date(date(2026, 12, 30)) == date(2027, 1, 5)


def test_leap_day_2028():
    # given: Monday 28 February 2028; the 29th is a Tuesday
    # when / then
    assert US_STOCK.settle_date(date(2028, 2, 28)) == date(2028, 2, 29)
    assert UK_STOCK.settle_date(date(2028, 2, 28)) == date(2028, 2, 29)  # T+1 by then
    assert EUR_USD.settle_date(date(2028, 2, 28)) == date(2028, 3, 1)
    assert EUR_USD.settle_date(date(2028, 2, 29)) == date(2028, 3, 2)


def test_other_asset_classes_and_the_override():
    # given: Wednesday 25 November 2026
    day = date(2026, 11, 25)
    option = settlement_rule(asset_class="OPT", currency="USD", exchange="CBOE")
    future = settlement_rule(asset_class="FUT", currency="USD", exchange="GLOBEX")
    crypto = settlement_rule(asset_class="CRYPTO", currency="USD", exchange="PAXOS")
    bond = settlement_rule(asset_class="BOND", currency="USD")
    slow = settlement_rule(asset_class="STK", currency="USD", override=3)
    # when / then
    assert option.settle_date(day) == date(2026, 11, 27)
    assert future.settle_date(day) == day
    assert crypto.settle_date(date(2026, 11, 28)) == date(2026, 11, 28)  # a Saturday: 24/7
    assert crypto.closed_reason(date(2026, 11, 28)) is None
    assert bond.settle_date(day) == date(2026, 11, 27)
    assert slow.settle_date(day) == date(2026, 12, 1)


def test_uk_and_eu_move_to_t_plus_1_on_11_october_2027():
    # given: Friday 8 October and Monday 11 October 2027
    # when / then
    assert UK_STOCK.settle_date(date(2027, 10, 8)) == date(2027, 10, 12)
    assert UK_STOCK.settle_date(date(2027, 10, 11)) == date(2027, 10, 12)
    assert DE_STOCK.settle_date(date(2027, 10, 11)) == date(2027, 10, 12)


@time_machine.travel(date(2026, 12, 2), tick=False)
def test_dates_far_from_today_do_not_raise():
    # given: dates of the calendar window's edges and far outside it
    # when / then: inside the window the calendar decides: T+3 in 2001, the NYSE closed from
    # 11 to 14 September 2001; Thanksgiving on 22 November 2040
    assert US_STOCK.settle_date(date(2001, 9, 10)) == date(2001, 9, 19)
    assert US_STOCK.settle_date(date(2040, 11, 21)) == date(2040, 11, 23)
    # outside it weekdays do: Friday 2 June 1950 T+3, Thursday 2 January 2200 T+1, Friday
    # 24 December 2060 T+2 (no holidays known)
    assert US_STOCK.settle_date(date(1950, 6, 2)) == date(1950, 6, 7)
    assert US_STOCK.settle_date(date(2200, 1, 2)) == date(2200, 1, 3)
    assert EUR_USD.settle_date(date(2060, 12, 24)) == date(2060, 12, 28)


def test_calendar_cache_file_holds_the_same_sessions(tmp_path, monkeypatch):
    # given: an empty cache folder
    monkeypatch.setenv("SETTLEMENT_CALENDAR_CACHE", str(tmp_path))
    path = settlement._cache_file("XLON")
    built = settlement.sessions_of.__wrapped__("XLON")
    # when
    read = settlement._cache_read(path)
    # then
    assert path.parent == tmp_path and path.is_file()
    assert read == built
    assert date(2026, 12, 29) in read.days and date(2026, 12, 28) not in read.days


def test_a_calendar_the_package_cannot_build_counts_weekdays(monkeypatch):
    # given
    monkeypatch.setattr(settlement, "_build", lambda name, **window: None)
    monkeypatch.setattr(settlement, "_cache_file", lambda name: None)
    # when
    sessions = settlement.sessions_of.__wrapped__("XNYS")
    # then
    assert sessions.is_open(date(2026, 11, 26)) and not sessions.is_open(date(2026, 11, 28))
