"""The pure layout: number formats, NAV reconciliation, allocation, sections."""

from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given
from hypothesis import strategies as st

from branding.statements.layout import (
    CENT,
    PLAIN,
    CashBalance,
    NavChange,
    Position,
    allocation_by_asset_class,
    money,
    percent,
    price,
    quantity,
    statement_sections,
)
from tests.support.statements import statement_make

amounts = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=4)


@given(amounts)
def test_money_reads_back_as_the_value_rounded_to_cents(value):
    # when
    text = money(value)
    # then
    assert Decimal(text.replace(",", "")) == value.quantize(CENT, rounding=ROUND_HALF_EVEN)
    assert text.count(".") == 1 and len(text.split(".")[1]) == 2


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6))
def test_quantity_and_price_read_back_exactly(value):
    assert Decimal(quantity(value).replace(",", "")) == value
    assert Decimal(price(value).replace(",", "")) == value.quantize(Decimal("0.0001")) or (
        Decimal(price(value).replace(",", "")) == value
    )


@given(amounts, st.lists(amounts, min_size=7, max_size=7))
def test_nav_change_leaves_nothing_unexplained_when_components_add_up(start, parts):
    # given: an ending value equal to start plus every component
    ending = start + sum(parts, Decimal(0))
    names = (
        "deposits_withdrawals",
        "mark_to_market",
        "realized",
        "dividends",
        "interest",
        "commissions",
        "fees",
    )
    # when
    nav = NavChange(
        starting_value=start, ending_value=ending, **dict(zip(names, parts, strict=True))
    )
    # then
    assert nav.other == 0


@given(
    st.lists(
        st.tuples(st.sampled_from(["STK", "BOND", "OPT", "FUND"]), amounts),
        min_size=1,
        max_size=20,
    )
)
def test_allocation_sums_absolute_values_largest_first(rows):
    # given
    positions = [
        Position("S", "", cls, "USD", Decimal(1), value, value, Decimal(0), Decimal(0))
        for cls, value in rows
    ]
    # when
    allocation = allocation_by_asset_class(positions)
    # then
    assert sum((v for _, v in allocation), Decimal(0)) == sum(abs(v) for _, v in rows)
    values = [v for _, v in allocation]
    assert values == sorted(values, reverse=True)
    assert all(v > 0 for v in values)


def test_allocation_counts_cash_in_the_base_currency_and_no_margin_loan():
    # given stock worth 27,000 and cash of 50,000 USD plus 20,000 EUR worth 23,000 USD
    stock = Position("S", "", "STK", "USD", Decimal(1), Decimal(27000), Decimal(27000), 0, 0)
    usd = CashBalance("USD", Decimal(0), Decimal(50000), Decimal(50000), ending_base=Decimal(50000))
    eur = CashBalance("EUR", Decimal(0), Decimal(20000), Decimal(20000), ending_base=Decimal(23000))
    loan = CashBalance("USD", Decimal(0), Decimal(-5000), Decimal(-5000))
    # when / then
    assert allocation_by_asset_class([stock], [usd, eur]) == [
        ("CASH", Decimal(73000)),
        ("STK", Decimal(27000)),
    ]
    assert allocation_by_asset_class([stock], [loan]) == [("STK", Decimal(27000))]


def test_percent_of_a_fraction_and_of_nothing():
    assert percent(Decimal("0.012345")) == "1.23%"
    assert percent(Decimal("-0.5")) == "-50.00%"
    assert percent(None) == "–"


def test_sections_in_order_with_plain_numbers_for_programs():
    # given
    statement = statement_make(trades=3)
    # when
    sections = statement_sections(statement, PLAIN)
    # then
    assert [s.key for s in sections] == [
        "account",
        "change_in_nav",
        "performance",
        "cash_report",
        "open_positions",
        "trades",
        "cash_transactions",
    ]
    nav = dict(sections[1].rows)
    assert nav["Starting value"] == "100000"
    assert nav["Ending value"] == "105234.56"
    assert "Other" not in nav
    assert sections[4].total == ("Total", "", "", "USD", "", "", "23525", "22600", "925")
    assert len(sections[5].rows) == 3
    assert sections[5].rows[1][2] == "SELL"
