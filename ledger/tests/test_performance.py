"""TWR and MWR against a textbook example, and their properties."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.performance import DayPoint, mwr, mwr_of_flows, twr

D = Decimal


def test_twr_and_mwr_textbook_example_with_flows():
    """CFA Institute, Quantitative Methods, "Portfolio return measurement" (the two-share
    example): buy one share at 100; a year later it pays a 2 dividend and a second share is
    bought at 120; a year after that each share pays 2 and both are sold at 130.
    TWR: year 1 = (120 + 2) / 100 − 1 = 22 %, year 2 = (2 × 130 + 4) / 240 − 1 = 10 %,
    TWR = 1.22 × 1.10 − 1 = 34.2 %, annualized √1.342 − 1 = 15.845 %.
    MWR: −100 − 118 / (1 + r) + 264 / (1 + r)² = 0 → 1 / (1 + r) = (118 + √(118² + 105 600))
    / 528, r = 13.86 %."""
    # given: daily points; the second share is bought with a flow of 118 at the start of the
    # day after the dividend (flows at day boundaries), at an unchanged price.
    d0, d1, d2 = date(2023, 1, 1), date(2024, 1, 1), date(2024, 12, 31)
    points = [
        DayPoint(d0, D(100)),
        DayPoint(d1, D(122)),
        DayPoint(d1 + timedelta(days=1), D(240), D(118)),
        DayPoint(d2, D(264)),
    ]
    # when
    result = twr(points)
    # then
    assert abs(result.cumulative - D("0.342")) < D("1e-9")
    assert abs(float(result.annualized) - (1.342 ** (365 / 730) - 1)) < 1e-9
    assert [s.daily_return for s in result.steps] == [D("0.22"), D(0), D("0.1")]
    # and when: MWR over the textbook's own dates (flows 365 days apart: t = 0, 1, 2 years)
    d1, d2 = date(2024, 1, 1), date(2024, 12, 31)
    assert ((d1 - d0).days, (d2 - d1).days) == (365, 365)
    money = mwr_of_flows([(d0, D(-100)), (d1, D(-118)), (d2, D(264))])
    x = (118 + (118**2 + 4 * 264 * 100) ** 0.5) / 528
    assert abs(float(money.annualized) - (1 / x - 1)) < 1e-12
    assert abs(float(money.annualized) - 0.138613) < 1e-6
    # the period is 730 days: for the period (1 + r)² − 1
    assert abs(float(money.period_return) - (1 / x**2 - 1)) < 1e-12
    assert (money.rule, money.days, money.shown) == ("single rate", 730, "annualized")


def test_mwr_equals_twr_without_flows():
    # given
    points = [DayPoint(date(2025, 1, 1), D(1000)), DayPoint(date(2026, 1, 1), D(1100))]
    # when
    money, time = mwr(points), twr(points)
    # then: 365 days, so both are annualized too, and equal to the period's return
    assert money.period_return == money.annualized == D("0.1")
    assert time.cumulative == time.annualized == D("0.1")
    assert money.cash_flows == ((date(2025, 1, 1), D(-1000)), (date(2026, 1, 1), D(1100)))


navs = st.lists(st.decimals(min_value=1, max_value=10**6, places=2), min_size=2, max_size=40)


@settings(max_examples=200, deadline=None)
@given(navs)
def test_twr_without_flows_is_end_over_start(values):
    # given
    start = date(2025, 1, 1)
    points = [DayPoint(start + timedelta(days=i), v) for i, v in enumerate(values)]
    # when
    result = twr(points)
    # then
    expected = float(values[-1] / values[0]) - 1
    assert abs(float(result.cumulative) - expected) <= 1e-9 * max(1.0, abs(expected))
    assert len(result.steps) == len(values) - 1


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=100, max_value=10**6, places=2),
    st.floats(min_value=-0.5, max_value=1.0),
    st.integers(min_value=365, max_value=1000),
)
def test_mwr_recovers_a_constant_rate(start_value, rate, days):
    # given: a single investment growing at `rate` a year for a year or more
    d0 = date(2020, 1, 1)
    end_value = float(start_value) * (1 + rate) ** (days / 365)
    # when
    found = mwr_of_flows([(d0, -start_value), (d0 + timedelta(days=days), D(repr(end_value)))])
    # then: the rounding of the end value to 28 digits is all that separates them
    assert abs(float(found.annualized) - rate) < 1e-9
    assert abs(float(found.period_return) - (end_value / float(start_value) - 1)) < 1e-9


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=-0.2, max_value=0.2), min_size=2, max_size=30),
    st.lists(st.decimals(min_value=0, max_value=1000, places=2), min_size=30, max_size=30),
)
def test_twr_ignores_flows(returns, flows):
    """Adding external flows must not change the TWR when the daily returns are the same."""
    # given
    start = date(2025, 1, 1)
    plain, flowed = [DayPoint(start, D(1000))], [DayPoint(start, D(1000))]
    nav_plain = nav_flowed = 1000.0
    for i, r in enumerate(returns, start=1):
        nav_plain *= 1 + r
        nav_flowed = (nav_flowed + float(flows[i - 1])) * (1 + r)
        day = start + timedelta(days=i)
        plain.append(DayPoint(day, D(repr(nav_plain))))
        flowed.append(DayPoint(day, D(repr(nav_flowed)), flows[i - 1]))
    # when / then
    assert abs(twr(plain).cumulative - twr(flowed).cumulative) < D("1e-9")
