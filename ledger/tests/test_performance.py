"""TWR and MWR against a textbook example, closed forms and pyxirr, and their properties."""

import math
from datetime import date, timedelta
from decimal import Decimal, localcontext

import pyxirr
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.performance import (
    NEAREST_ZERO,
    NOT_MEANINGFUL,
    SINGLE_RATE,
    DayPoint,
    history_points,
    mwr,
    mwr_of_flows,
    mwr_range,
    twr,
)

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


# MWR: the rule for flows with no rate or several rates, checked against pyxirr and closed forms.
# Three flows 365 days apart (t = 0, 1, 2 years): with x = 1 / (1 + r) the equation is the
# quadratic CF_0 + CF_1 x + CF_2 x² = 0.
Y0, Y1, Y2 = date(2025, 1, 1), date(2026, 1, 1), date(2027, 1, 1)


def _three(cf0, cf1, cf2):
    return [(Y0, D(cf0)), (Y1, D(cf1)), (Y2, D(cf2))]


def test_two_rates_minus_96_75_and_300_percent_the_one_nearest_zero_is_shown():
    # given: 52x² − 1613x + 400 = 52 (x − 400/13)(x − 1/4): r = 13/400 − 1 = −96.75 % or r = 3
    flows = _three(-400, 1613, -52)
    dates, amounts = [d for d, _ in flows], [float(a) for _, a in flows]
    assert abs(pyxirr.xnpv(-0.9675, dates, amounts)) < 1e-9
    assert abs(pyxirr.xnpv(3.0, dates, amounts)) < 1e-9
    # when
    result = mwr_of_flows(flows)
    # then: for the 730 days, (1 + r)² − 1: −99.894375 % and +1,500 %; the first is nearer zero
    assert result.rule == NEAREST_ZERO and result.sign_changes == 2
    assert result.rates == (D("-0.998943750000"), D("15.000000000000"))
    assert result.period_return == D("-0.998943750000")
    assert result.annualized == D("-0.967500000000")
    assert "2 rates solve the flows" in result.reason


def test_a_rate_of_minus_23_64_percent_is_found_beside_minus_90_percent():
    # given: 1909x² − 21590x + 25000 = 1909 (x − 2500/1909)(x − 10): r = −23.64 % or −90 %
    flows = _three(-25000, 21590, -1909)
    dates, amounts = [d for d, _ in flows], [float(a) for _, a in flows]
    assert abs(pyxirr.xnpv(-0.2364, dates, amounts)) < 1e-7
    assert abs(pyxirr.xnpv(-0.9, dates, amounts)) < 1e-7
    # when
    result = mwr_of_flows(flows)
    # then: for the period 0.7636² − 1 = −41.691504 % (nearer zero than 0.1² − 1 = −99 %)
    assert result.rates == (D("-0.990000000000"), D("-0.416915040000"))
    assert (result.period_return, result.annualized) == (D("-0.416915040000"), D("-0.2364"))


def test_flows_without_a_rate_are_not_meaningful_and_say_why():
    # given: 2500x² − 3000x + 1000 has no real root (3000² < 4 × 2500 × 1000)
    flows = _three(-1000, 3000, -2500)
    # when
    result = mwr_of_flows(flows)
    # then
    assert (result.period_return, result.annualized, result.rates) == (None, None, ())
    assert result.rule == NOT_MEANINGFUL and not result.meaningful
    assert result.reason.startswith("Not meaningful: no rate between −99.9999 % and +999,900 %")
    assert pyxirr.xirr([d for d, _ in flows], [float(a) for _, a in flows], silent=True) is None


def test_flows_all_one_way_are_not_meaningful():
    # given: a deposit of 1,000 on day 1 and nothing left at the end (opening NAV 0)
    points = [DayPoint(Y0, D(0)), DayPoint(Y0 + timedelta(days=1), D(400), D(1000))]
    points.append(DayPoint(Y0 + timedelta(days=2), D(0)))
    # when
    result = mwr(points)
    # then
    assert result.cash_flows == ((Y0 + timedelta(days=1), D(-1000)),)
    assert result.rule == NOT_MEANINGFUL and result.period_return is None
    assert "the flows all go one way" in result.reason


def test_a_15_day_history_with_a_large_gain_is_a_period_return_not_an_annual_1e24():
    # given: 1,000 at the start, 500 more on day 8, 7,500 at day 16: with y = (1 + R)^½,
    # 1000 y² + 500 y = 7500 → y = 2.5, R = 5.25 (the annual rate would be 6.25^(365/16) ≈ 1e18)
    d0 = date(2026, 11, 1)
    points = [
        DayPoint(d0, D(1000)),
        DayPoint(d0 + timedelta(days=8), D(3500), D(500)),
        DayPoint(d0 + timedelta(days=16), D(7500)),
    ]
    # when
    result = mwr(points)
    # then
    assert (result.period_return, result.annualized) == (D("5.250000000000"), None)
    assert (result.rule, result.days, result.shown) == (SINGLE_RATE, 16, "for the period")


def test_mwr_annualizes_from_365_days_and_not_at_364():
    # given: +10 % over 364 and over 365 days
    short = mwr_of_flows([(Y0, D(-100)), (Y0 + timedelta(days=364), D(110))])
    year = mwr_of_flows([(Y0, D(-100)), (Y0 + timedelta(days=365), D(110))])
    # then
    assert (short.period_return, short.annualized, short.shown) == (
        D("0.1"),
        None,
        "for the period",
    )
    assert (year.period_return, year.annualized, year.shown) == (D("0.1"), D("0.1"), "annualized")


def _hp_residual(log_growth: float, flows) -> float:
    """|Σ CF_i (1 + R)^(−t_i / D)| / Σ |CF_i| (1 + R)^(−t_i / D) at 40 digits, for the rate with
    log(1 + R) = `log_growth` over the D days of the flows."""
    with localcontext() as ctx:
        ctx.prec = 40
        first, days = flows[0][0], (flows[-1][0] - flows[0][0]).days
        u = D(repr(log_growth))
        terms = [a * (-(D((d - first).days) / days) * u).exp() for d, a in flows]
        return float(abs(sum(terms)) / sum(abs(t) for t in terms))


def _pyxirr_reference(flows) -> float | None:
    """pyxirr's own XIRR on the calendar dates: log(1 + R) for the period, or None. pyxirr stops
    once |XNPV| < 1e-3 in absolute terms, so the flows are scaled to a total of 1e12 (the rate
    is then as exact as a float allows); a rate within 1e-6 of −100 % a year is past a float's
    precision of 1 + r and is not compared."""
    dates = [d for d, _ in flows]
    total = sum(abs(a) for _, a in flows)
    rate = pyxirr.xirr(dates, [float(a / total) * 1e12 for _, a in flows], silent=True)
    if rate is None or not math.isfinite(rate) or rate <= -1 + 1e-6:
        return None
    return math.log1p(rate) * (dates[-1] - dates[0]).days / 365


amounts = st.decimals(min_value=1000, max_value=10**7, places=2)


@st.composite
def dated_flows(draw, *, one_sign_change: bool):
    offsets = sorted(draw(st.sets(st.integers(0, 3650), min_size=2, max_size=8)))
    values = draw(st.lists(amounts, min_size=len(offsets), max_size=len(offsets)))
    if one_sign_change:
        put_in = draw(st.integers(1, len(offsets) - 1))
        signs = [-1] * put_in + [1] * (len(offsets) - put_in)
    else:
        signs = draw(st.lists(st.sampled_from((-1, 1)), min_size=len(offsets)))[: len(offsets)]
        signs += [-1] * (len(offsets) - len(signs))
        if len(set(signs)) == 1:
            signs[-1] = -signs[0]
    start = date(2020, 1, 1)
    return [
        (start + timedelta(days=o), s * v) for o, s, v in zip(offsets, signs, values, strict=True)
    ]


@settings(max_examples=1000, deadline=None)
@given(dated_flows(one_sign_change=True))
def test_mwr_with_one_sign_change_agrees_with_pyxirr(flows):
    # given: money put in, then money taken out: exactly one rate (Descartes' rule of signs)
    days = (flows[-1][0] - flows[0][0]).days
    low, high = mwr_range(days)
    reference = _pyxirr_reference(flows)
    # when
    result = mwr_of_flows(flows)
    # then: the same rate, a year at a time: (1 + r) to 1e-9 relative
    if result.meaningful:
        assert _hp_residual(result.log_growth, flows) < 1e-9
        assert result.rule == SINGLE_RATE
        if reference is not None:
            ours, theirs = result.log_growth * 365 / days, reference * 365 / days
            assert abs(ours - theirs) <= 1e-9 * max(1.0, abs(theirs))
    else:
        # reported not meaningful only when the rate is outside the range searched
        assert reference is None or not low <= reference <= high
        assert result.rule == NOT_MEANINGFUL


@settings(max_examples=1000, deadline=None)
@given(dated_flows(one_sign_change=False))
def test_mwr_with_several_sign_changes_is_the_root_nearest_zero(flows):
    # given: flows whose signs change any number of times
    days = (flows[-1][0] - flows[0][0]).days
    low, high = mwr_range(days)
    reference = _pyxirr_reference(flows)
    genuine = (
        reference is not None and low <= reference <= high and _hp_residual(reference, flows) < 1e-9
    )
    # when
    result = mwr_of_flows(flows)
    # then: a root, and no farther from zero than pyxirr's
    if result.meaningful:
        assert _hp_residual(result.log_growth, flows) < 1e-9
        assert len(result.rates) >= 1 and result.period_return in result.rates
        if genuine:
            nearest = abs(math.expm1(reference))
            assert abs(math.expm1(result.log_growth)) <= nearest * (1 + 1e-9) + 1e-12
    else:
        assert not genuine


def test_twr_leaves_out_days_with_a_start_value_of_zero_or_less():
    # given: +10 % on day 1; all withdrawn on day 2 (start 0); a fee on day 3 leaves −50
    # (start 0); day 4 starts at −50; a deposit of 550 on day 5 starts at 500 and ends at 550
    d0 = date(2026, 3, 2)
    days = [d0 + timedelta(days=i) for i in range(6)]
    points = [
        DayPoint(days[0], D(1000)),
        DayPoint(days[1], D(1100)),
        DayPoint(days[2], D(0), D(-1100)),
        DayPoint(days[3], D(-50)),
        DayPoint(days[4], D(-50)),
        DayPoint(days[5], D(550), D(550)),
    ]
    # when
    result = twr(points)
    # then: 1.1 × 1.1 − 1, days 2, 3 and 4 left out
    assert result.cumulative == D("0.21")
    assert result.excluded == (days[2], days[3], days[4])
    assert [s.daily_return for s in result.steps] == [D("0.1"), None, None, None, D("0.1")]
    assert [s.start_value for s in result.steps] == [D(1000), D(0), D(0), D(-50), D(500)]
    assert [s.cumulative for s in result.steps] == [D("0.1")] * 4 + [D("0.21")]


def test_twr_counts_a_day_losing_more_than_its_start_value_as_minus_100_percent():
    # given: a margin account from 1,000 to −200 in a day, then a deposit of 1,000
    d0 = date(2026, 3, 2)
    points = [
        DayPoint(d0, D(1000)),
        DayPoint(d0 + timedelta(days=1), D(-200)),
        DayPoint(d0 + timedelta(days=2), D(880), D(1000)),
    ]
    # when
    result = twr(points)
    # then: (1 − 1) × 1.1 − 1
    assert result.floored == (d0 + timedelta(days=1),)
    assert [s.daily_return for s in result.steps] == [D(-1), D("0.1")]
    assert result.cumulative == D(-1)


def test_twr_with_no_day_to_link_is_not_meaningful():
    points = [DayPoint(date(2026, 3, 2), D(0)), DayPoint(date(2026, 3, 3), D(0))]
    result = twr(points)
    assert result.cumulative is None and result.excluded == (date(2026, 3, 3),)
    assert result.reason.startswith("Not meaningful: no day has a positive start value")


def test_twr_annualizes_from_365_days_and_not_at_364():
    d0 = date(2025, 1, 1)
    short = twr([DayPoint(d0, D(100)), DayPoint(d0 + timedelta(days=364), D(121))])
    year = twr([DayPoint(d0, D(100)), DayPoint(d0 + timedelta(days=365), D(121))])
    two = twr([DayPoint(d0, D(100)), DayPoint(d0 + timedelta(days=730), D(121))])
    assert (short.cumulative, short.annualized, short.shown) == (D("0.21"), None, "for the period")
    assert (year.annualized, year.shown) == (D("0.21"), "annualized")
    assert two.annualized == D("0.1")


def test_a_history_starting_with_a_deposit_counts_the_first_days_return():
    # given: an account opened inside the range: its first NAV row is the deposit day
    d1, d2 = date(2026, 3, 3), date(2026, 3, 4)
    rows = [DayPoint(d1, D(2100), D(2000)), DayPoint(d2, D(2310))]
    # when
    points = history_points(rows, opening_known=False)
    # then: it opens at 0 the day before, so day 1's 5 % counts: 1.05 × 1.1 − 1
    assert points == [DayPoint(date(2026, 3, 2), D(0)), *rows]
    assert twr(points).cumulative == D("0.155")
    assert mwr(points).period_return == D("0.155")


def test_a_history_opening_at_zero_starts_the_day_before_its_first_deposit():
    # given: NAV rows of 0 before the first deposit on day 3
    d = [date(2026, 3, 2) + timedelta(days=i) for i in range(5)]
    rows = [DayPoint(d[0], D(0), D(5)), DayPoint(d[1], D(0)), DayPoint(d[2], D(0))]
    rows += [DayPoint(d[3], D(1020), D(1000)), DayPoint(d[4], D(1071))]
    # when
    points = history_points(rows)
    # then: the opening is the close of day 2 (the opening row's own flow is dropped)
    assert points == [DayPoint(d[2], D(0)), *rows[3:]]
    assert twr(points).cumulative == D("0.071") and twr(points).excluded == ()
    assert history_points(rows[:3]) == [DayPoint(d[2], D(0))]
