"""The instrument master: keys, validation, audit and versions; CSV loads of instruments,
closes and FX rates; the provider interface; missing prices."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from ledger.journal.versions import accounts_versions
from ledger.market_providers import CsvDirectoryProvider, market_data_fetch_day
from ledger.models import FxRate, Instrument, InstrumentChange, Price
from ledger.selectors import missing_prices_count, missing_prices_for
from ledger.services import trade_book
from ledger.services.instruments import InstrumentData, instrument_upsert
from ledger.services.market import RateRow, usd_rates_from
from ledger.tests.factories import account_make, instrument_make

D = Decimal


def test_same_symbol_on_two_exchanges_and_currencies(db):
    # given
    instrument_make("SHEL", exchange="LSE", currency="GBP")
    # when
    other = instrument_make("SHEL", exchange="NYSE", currency="USD")
    # then
    assert Instrument.objects.filter(symbol="SHEL").count() == 2
    assert other.pk
    with transaction.atomic(), pytest.raises(IntegrityError):
        instrument_make("SHEL", exchange="LSE", currency="GBP")


def test_upsert_creates_then_updates_with_audit_and_version(db):
    # given
    data = InstrumentData(
        symbol="AAPL",
        currency="USD",
        asset_class="STK",
        conid=265598,
        exchange="NASDAQ",
        isin="US0378331005",
        cusip="037833100",
        figi="BBG000B9XRY4",
    )
    # when
    created, wrote = instrument_upsert(data=data, source="csv", actor="ops")
    again, wrote_again = instrument_upsert(data=data, source="csv")
    renamed, wrote_rename = instrument_upsert(
        data=InstrumentData(symbol="AAPL.NEW", currency="USD", conid=265598, description="Apple"),
        source="flex",
    )
    # then
    assert (wrote, wrote_again, wrote_rename) == (True, False, True)
    assert created.pk == again.pk == renamed.pk
    renamed.refresh_from_db()
    assert (renamed.symbol, renamed.version, renamed.isin) == ("AAPL.NEW", 2, "US0378331005")
    changes = list(InstrumentChange.objects.filter(instrument=renamed).order_by("version"))
    assert [(c.version, c.source) for c in changes] == [(1, "csv"), (2, "flex")]
    assert changes[1].changes == {"symbol": ["AAPL", "AAPL.NEW"], "description": ["", "Apple"]}
    assert changes[0].actor == "ops"


def test_upsert_bumps_the_market_version(db, tenant_a):
    # given
    account = account_make(tenant_a)
    instrument, _ = instrument_upsert(
        data=InstrumentData(symbol="MKV", currency="USD", asset_class="STK", conid=5550001),
        source="csv",
    )
    before = accounts_versions([account.pk])
    # when
    instrument_upsert(
        data=InstrumentData(symbol="MKV", currency="USD", conid=5550001, multiplier=D(10)),
        source="console",
    )
    # then
    assert accounts_versions([account.pk]) != before


def test_option_carries_underlying_expiry_strike_right(db):
    # given
    stock, _ = instrument_upsert(
        data=InstrumentData(symbol="XYZ", currency="USD", asset_class="STK", conid=7000001),
        source="flex",
    )
    # when
    option, _ = instrument_upsert(
        data=InstrumentData(
            symbol="XYZ   260320C00050000",
            currency="USD",
            asset_class="OPT",
            conid=7000002,
            multiplier=D(100),
            underlying_conid=7000001,
            expiry=date(2026, 3, 20),
            strike=D(50),
            right="C",
        ),
        source="flex",
    )
    # then
    option.refresh_from_db()
    assert option.underlying_id == stock.pk
    assert (option.expiry, option.strike, option.right, option.multiplier) == (
        date(2026, 3, 20),
        D(50),
        "C",
        D(100),
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("isin", "US0378331006"), ("cusip", "037833101"), ("figi", "BBG000B9XRY5")],
)
def test_bad_identifiers_are_refused_and_nothing_written(db, field, value):
    # given
    data = InstrumentData(symbol="BADID", currency="USD", asset_class="STK", **{field: value})
    # when / then
    with pytest.raises(ValidationError):
        instrument_upsert(data=data, source="csv")
    assert not Instrument.objects.filter(symbol="BADID").exists()
    assert not InstrumentChange.objects.filter(instrument__symbol="BADID").exists()


def test_market_import_instruments_prices_fx_commands(db, tmp_path):
    # given
    instruments = tmp_path / "instruments.csv"
    instruments.write_text(
        "symbol,currency,asset_class,conid,exchange,isin,multiplier\n"
        "SAP,EUR,STK,14204,IBIS,DE0007164600,\n"
        "ESZ6,USD,FUT,495512563,CME,,50\n"
    )
    prices = tmp_path / "prices.csv"
    prices.write_text(
        "date,conid,symbol,close\n2026-03-02,14204,,181.12\n2026-03-02,,ESZ6,5000.25\n"
    )
    fx = tmp_path / "fx.csv"
    fx.write_text(
        "date,from_currency,to_currency,rate\n2026-03-02,USD,EUR,0.8\n2026-03-02,GBP,EUR,1.2\n"
    )
    out = io.StringIO()
    # when
    call_command("market_import", "instruments", str(instruments), stdout=out)
    call_command("market_import", "prices", str(prices), stdout=out)
    call_command("market_import", "fx", str(fx), stdout=out)
    # then
    sap = Instrument.objects.get(conid=14204)
    future = Instrument.objects.get(symbol="ESZ6")
    assert (sap.exchange, sap.isin, future.multiplier) == ("IBIS", "DE0007164600", D(50))
    assert Price.objects.get(instrument=sap, date=date(2026, 3, 2)).close == D("181.12")
    assert Price.objects.get(instrument=future).close == D("5000.25")
    rates = dict(
        FxRate.objects.filter(date=date(2026, 3, 2)).values_list("currency", "usd_per_unit")
    )
    assert rates == {"EUR": D("1.25"), "GBP": D("1.5")}
    assert "2 instrument(s) created" in out.getvalue()


def test_market_import_lists_every_bad_row_and_loads_nothing(db, tmp_path):
    # given
    stock = instrument_make("GOODP", conid=880101)
    path = tmp_path / "prices.csv"
    path.write_text(
        "date,conid,close\n2026-03-02,880101,10\n2026-13-01,880101,11\n2026-03-03,999999,12\n"
        "2026-03-04,880101,-1\n"
    )
    err = io.StringIO()
    # when
    with pytest.raises(CommandError, match="3 bad row"):
        call_command("market_import", "prices", str(path), stderr=err)
    # then
    assert err.getvalue().splitlines() == [
        "row 2: date '2026-13-01' is not a date (YYYY-MM-DD)",
        "row 3: unknown instrument conid 999999",
        "row 4: close '-1' must be positive",
    ]
    assert not Price.objects.filter(instrument=stock).exists()


def test_cross_rates_without_a_usd_leg_are_refused():
    with pytest.raises(ValueError, match="no USD rate of CHF"):
        usd_rates_from([RateRow(date(2026, 3, 2), "GBP", "CHF", D("1.1"))])


def test_csv_directory_provider_loads_the_day(db, tmp_path):
    # given
    stock = instrument_make("PROV", conid=880201)
    (tmp_path / "prices-2026-03-02.csv").write_text("date,conid,close\n2026-03-02,880201,42.5\n")
    (tmp_path / "fx-2026-03-02.csv").write_text("date,currency,usd_per_unit\n2026-03-02,CHF,1.1\n")
    provider = CsvDirectoryProvider(directory=str(tmp_path))
    # when
    results = market_data_fetch_day(on=date(2026, 3, 2), providers=[provider])
    empty = market_data_fetch_day(on=date(2026, 3, 3), providers=[provider])
    # then
    assert [r.written for r in results["csv-directory"]] == [1, 1]
    assert [r.written for r in empty["csv-directory"]] == [0, 0]
    assert Price.objects.get(instrument=stock).close == D("42.5")
    assert FxRate.objects.get(currency="CHF").usd_per_unit == D("1.1")


def test_a_close_by_symbol_alone_finds_an_instrument_without_an_exchange(db):
    # given an instrument with no exchange (its symbol-only and symbol+exchange keys are one)
    stock = Instrument.objects.create(symbol="NOEXCH1", asset_class="STK", currency="USD")
    assert stock.exchange == ""
    # when its close comes by symbol only
    from ledger.services.market import price_rows_csv, prices_load

    result = prices_load(
        rows=price_rows_csv(io.StringIO("date,symbol,close\n2026-03-02,NOEXCH1,7.25\n"))
    )
    # then it is found once, not refused as naming two instruments
    assert result.written == 1
    assert Price.objects.get(instrument=stock).close == D("7.25")


def test_missing_prices_are_counted_per_tenant(db, tenant_a, tenant_b):
    # given
    priced = instrument_make("PRICED")
    unpriced = instrument_make("NOPX")
    foreign = instrument_make("NOFX", currency="SEK")
    Price.objects.create(instrument=priced, date=date(2026, 3, 2), close=D(10))
    Price.objects.create(instrument=foreign, date=date(2026, 3, 2), close=D(100))
    account = account_make(tenant_a, margin_type="reg_t")
    for number, instrument in enumerate((priced, unpriced, foreign)):
        trade_book(
            account=account,
            instrument=instrument,
            side="BUY",
            quantity=D(1),
            price=D(10),
            trade_date=date(2026, 3, 2),
            settle_date=date(2026, 3, 3),
            idempotency_key=f"missing-{number}",
        )
    # when
    missing = missing_prices_for(tenant=tenant_a, as_of=date(2026, 3, 3))
    # then
    assert [(m.symbol, m.missing) for m in missing] == [("NOFX", "fx"), ("NOPX", "price")]
    assert missing_prices_count(tenant=tenant_a, as_of=date(2026, 3, 3)) == 2
    assert missing_prices_count(tenant=tenant_b, as_of=date(2026, 3, 3)) == 0
    assert missing_prices_count(tenant=tenant_a, as_of=date(2026, 3, 1)) == 3
