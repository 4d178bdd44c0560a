import datetime as dt
import math
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import tenant_context

from clientportal.charts import Series, line_chart_svg
from ledger.models import NavSnapshot
from ledger.selectors import PERIODS, performance_for, period_range
from ledger.services import nav_snapshots_rebuild
from tests.support.clientportal import account_for_client, client_user_make

from .conftest import portal_client

D = Decimal


def test_performance_page_shows_the_ledgers_twr_and_mwr_for_each_period(tenant_a, holder):
    # given 15 days of NAV history for the holder's account
    user, account = holder
    today = timezone.localdate()
    with tenant_context(tenant_a):
        nav_snapshots_rebuild(start=today - timedelta(days=15), end=today, account_ids=[account.pk])
        start, end = period_range("1M", today=today)
        report = performance_for(tenant=tenant_a, account_ids=[account.pk], start=start, end=end)
    # when
    response = portal_client(tenant_a, user).get(reverse("clientportal:performance"))
    html = response.content.decode()
    # then the 1-month row carries the ledger's figures, and the steps are shown
    assert response.status_code == 200
    row = html.split('data-period="1 month"')[1].split("</tr>")[0]
    assert f"{report.twr.cumulative * 100:.2f} %" in row
    assert f"{report.mwr.period_return * 100:.2f} %" in row
    assert "How this is calculated" in html
    assert html.count('<td class="num">') > len(report.twr.steps) * 5
    assert "<svg" in html


def test_custom_range_is_shown(tenant_a, holder):
    user, account = holder
    today = timezone.localdate()
    with tenant_context(tenant_a):
        nav_snapshots_rebuild(start=today - timedelta(days=15), end=today, account_ids=[account.pk])
    start = (today - timedelta(days=12)).isoformat()
    response = portal_client(tenant_a, user).get(
        reverse("clientportal:performance"), {"range": "custom", "start": start, "end": today}
    )
    assert response.status_code == 200
    assert 'data-period="Custom"' in response.content.decode()


def test_line_chart_scales_points_into_the_plot():
    # given a series from 0 to 10 % over three days
    svg = line_chart_svg([Series("p", [0.0, 5.0, 10.0])], x_labels=["a", "b", "c"], title="t")
    # then the first point sits on the zero line at the left, the last at the top right
    assert 'points="48.0,212.0 338.0,112.0 628.0,12.0"' in svg
    assert ">0.00%<" in svg and ">10.00%<" in svg


def test_line_chart_escapes_labels():
    svg = line_chart_svg([Series("<b>", [Decimal(1)])], title="<script>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg


# The page at fixed dates over NAV histories that used to break it. Each expected figure comes
# from a closed form written out in the test.
_clients = iter(range(1, 1_000_000))


@pytest.fixture
def client_account(tenant_a):
    """A client of tenant A with one USD account and no NAV history yet."""
    n = next(_clients)
    with tenant_context(tenant_a):
        user = client_user_make(username=f"perf{n}")
        account = account_for_client(tenant=tenant_a, user=user)
    connection.set_schema_to_public()
    return user, account


def _history(account, rows):
    """NAV rows (date, nav, flows) of the account."""
    NavSnapshot.objects.bulk_create(
        NavSnapshot(
            account=account, date=day, nav=D(nav), cash=D(nav), positions_value=0, flows=D(flow)
        )
        for day, nav, flow in rows
    )


def _page(tenant, user, today: date, **params) -> str:
    """The performance page as the client sees it late on `today` (UTC)."""
    moment = dt.datetime.combine(today, dt.time(22, 30), tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        response = portal_client(tenant, user).get(reverse("clientportal:performance"), params)
    assert response.status_code == 200
    return response.content.decode()


def _cells(html: str, period: str) -> list[str]:
    """The TWR, MWR and benchmark cells of a period's row, as text."""
    row = html.split(f'data-period="{period}"')[1].split("</tr>")[0]
    return [re.sub(r"<[^>]+>", " ", c).split() for c in row.split('<td class="num">')[1:]]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _percent(value: float) -> str:
    return f"{value * 100:.2f} %"


def test_a_15_day_history_with_a_large_gain_shows_its_returns_for_the_period(
    tenant_a, client_account
):
    # given: an account opened on 6 November with 1,000 that triples by the 12th, 500 more on
    # the 13th (day 7 of 14), 7,500 on the 20th
    user, account = client_account
    _history(
        account,
        [
            (date(2026, 11, 6), 1000, 1000),
            (date(2026, 11, 12), 3000, 0),
            (date(2026, 11, 13), 3500, 500),
            (date(2026, 11, 20), 7500, 0),
        ],
    )
    # TWR: 1000/1000 × 3000/1000 × 3500/3500 × 7500/3500 − 1 = 38/7
    twr_expected = 3 * 7500 / 3500 - 1
    # MWR over the 14 days: 1000 y² + 500 y = 7500 with y = (1 + R)^(1/2) → y = 2.5, R = 5.25
    y = (-500 + math.sqrt(500**2 + 4 * 1000 * 7500)) / 2000
    mwr_expected = y**2 - 1
    # when
    html = _page(tenant_a, user, date(2026, 11, 20))
    # then
    twr_cell, mwr_cell, _ = _cells(html, "1 month")
    assert (" ".join(twr_cell), " ".join(mwr_cell)) == ("542.86 %", "525.00 %")
    assert (_percent(twr_expected), _percent(mwr_expected)) == ("542.86 %", "525.00 %")
    text = _text(html)
    assert "Shown: 542.86 % for the period of 15 days, not annualized" in text
    assert "Shown: 525.00 % for the period of 14 days, not annualized" in text
    assert "Rule applied: One rate solves the flows." in text
    assert "2026-11-06 put in -1,000.00 2026-11-13 put in -500.00" in text
    assert "2026-11-20 taken out 7,500.00" in text
    assert "annualized</span>" not in html and "e+" not in text


def test_a_first_day_deposit_on_an_opening_nav_of_zero_counts_that_days_return(
    tenant_a, client_account
):
    # given: NAV 0 at the close of Friday 30 October; 1,000 deposited on Monday 2 November that
    # closes at 1,020 (+2 %); 1,071 on the 30th (+5 %)
    user, account = client_account
    _history(
        account,
        [
            (date(2026, 10, 30), 0, 0),
            (date(2026, 11, 2), 1020, 1000),
            (date(2026, 11, 30), 1071, 0),
        ],
    )
    expected = _percent(1.02 * 1.05 - 1)  # TWR; the MWR: 1071 / 1000 − 1, the same
    # when: on 30 November the month (from Saturday 31 October) opens on Friday's close
    html = _page(tenant_a, user, date(2026, 11, 30))
    # then
    assert expected == "7.10 %"
    assert _cells(html, "1 month")[:2] == [["7.10", "%"], ["7.10", "%"]]
    assert _cells(html, "Month to date")[:2] == [["7.10", "%"], ["7.10", "%"]]
    assert 'name="start" value="2026-10-31"' in html
    text = _text(html)
    assert "No day was left out of the chain." in text
    assert "2026-11-02 put in -1,000.00 2026-11-30 taken out 1,071.00" in text


def test_an_account_opened_mid_period_starts_from_zero(tenant_a, client_account):
    # given: no NAV before 10 November, when 2,000 arrive and close at 2,100 (+5 %); 2,310 on
    # the 25th (+10 %)
    user, account = client_account
    _history(account, [(date(2026, 11, 10), 2100, 2000), (date(2026, 11, 25), 2310, 0)])
    # when: on Thanksgiving
    html = _page(tenant_a, user, date(2026, 11, 26))
    # then: the month counts the first day: 1.05 × 1.10 − 1 = 2310 / 2000 − 1
    assert _percent(1.05 * 1.10 - 1) == _percent(2310 / 2000 - 1) == "15.50 %"
    assert _cells(html, "1 month")[:2] == [["15.50", "%"], ["15.50", "%"]]
    # the week (from 19 November) opens on the close of the 10th: 2310 / 2100 − 1
    assert _cells(html, "1 week")[:2] == [["10.00", "%"], ["10.00", "%"]]
    assert "2026-11-10 put in -2,000.00 2026-11-25 taken out 2,310.00" in _text(html)


def test_days_with_a_zero_or_negative_opening_value_are_left_out(tenant_a, client_account):
    # given: 1,000 on Monday 2 November, 1,100 on Tuesday (+10 %); all 1,100 withdrawn on
    # Wednesday (start 0); a fee leaves −50 on Thursday (start 0); Friday starts at −50
    user, account = client_account
    _history(
        account,
        [
            (date(2026, 11, 2), 1000, 0),
            (date(2026, 11, 3), 1100, 0),
            (date(2026, 11, 4), 0, -1100),
            (date(2026, 11, 5), -50, 0),
            (date(2026, 11, 6), -50, 0),
        ],
    )
    # MWR over the 4 days: −1000 + 1100 x − 50 x² = 0, x = (1 + R)^(−1/2), x = 11 ∓ √101
    rates = sorted((11 - s * math.sqrt(101)) ** -2 - 1 for s in (1, -1))
    # when: the range 2–6 November, seen on Saturday 28 November
    html = _page(
        tenant_a, user, date(2026, 11, 28), range="custom", start="2026-11-02", end="2026-11-06"
    )
    # then: the TWR links Tuesday only; the MWR is the rate nearest zero of two
    assert [_percent(r) for r in rates] == ["-99.77 %", "10.77 %"]
    assert _cells(html, "Custom")[:2] == [["10.00", "%"], ["10.77", "%"]]
    text = _text(html)
    assert (
        "Left out of the chain (start value zero or negative): 2026-11-04, 2026-11-05, "
        "2026-11-06." in text
    )
    assert text.count("left out (start value ≤ 0)") == 3
    assert "Rates for the period that solve the flows: -99.77 %, 10.77 %." in text
    assert "2 rates solve the flows (their signs change 2 times); the one nearest zero" in text
    # the closing value of −50 is money still to put in
    assert "2026-11-04 taken out 1,100.00 2026-11-06 put in -50.00" in text


def test_flows_without_a_rate_show_not_meaningful_and_why(tenant_a, client_account):
    # given: 1,000 on 30 November tripled by 14 December; 3,000 withdrawn on the 15th (day 15
    # of 30); 2,600 deposited on the 30th, which closes at 100
    user, account = client_account
    _history(
        account,
        [
            (date(2026, 11, 30), 1000, 0),
            (date(2026, 12, 14), 3000, 0),
            (date(2026, 12, 15), 0, -3000),
            (date(2026, 12, 30), 100, 2600),
        ],
    )
    # the flows −1000, +3000, −2500 at t = 0, ½, 1: −1000 + 3000 x − 2500 x² has no real root
    assert 3000**2 - 4 * 2500 * 1000 < 0
    # when: on 31 December
    html = _page(tenant_a, user, date(2026, 12, 31))
    # then: the TWR is 3 × 100 / 2600 − 1; the MWR is n/m, with the reason
    assert _percent(3 * 100 / 2600 - 1) == "-88.46 %"
    twr_cell, mwr_cell, _ = _cells(html, "1 month")
    assert (twr_cell, mwr_cell) == (["-88.46", "%"], ["n/m"])
    assert '<abbr title="not meaningful">n/m</abbr>' in html
    text = _text(html)
    assert (
        "Rule applied: Not meaningful: no rate between −99.9999 % and +999,900 % a year (or for "
        "the period, when it is shorter) makes the present value of the flows zero." in text
    )
    assert "2026-12-30 put in -2,500.00" in text


def test_flows_all_one_way_show_not_meaningful_and_why(tenant_a, client_account):
    # given: NAV 0 on 1 December, 1,000 deposited on the 2nd closing at 400, 0 on the 3rd
    user, account = client_account
    _history(
        account,
        [(date(2026, 12, 1), 0, 0), (date(2026, 12, 2), 400, 1000), (date(2026, 12, 3), 0, 0)],
    )
    # when: on New Year's Day
    html = _page(tenant_a, user, date(2027, 1, 1))
    # then: TWR 0.4 × 0 − 1; no money came out, so no rate
    twr_cell, mwr_cell, _ = _cells(html, "1 month")
    assert (twr_cell, mwr_cell) == (["-100.00", "%"], ["n/m"])
    assert "Rule applied: Not meaningful: the flows all go one way" in _text(html)


def test_flows_with_several_sign_changes_show_the_rate_nearest_zero(tenant_a, client_account):
    # given: 1,000 on 31 January 2028 grown to 2,420 by 11 February; 2,300 withdrawn on the
    # 14th (day 14 of 28); 1,400 deposited on the 28th, which closes at 80
    user, account = client_account
    _history(
        account,
        [
            (date(2028, 1, 31), 1000, 0),
            (date(2028, 2, 11), 2420, 0),
            (date(2028, 2, 14), 120, -2300),
            (date(2028, 2, 28), 80, 1400),
        ],
    )
    # MWR: −1000 + 2300 x − 1320 x² = 0, x = (1 + R)^(−1/2): x = 10/11 or 5/6, R = 21 % or 44 %
    assert [(1 / x) ** 2 - 1 for x in (10 / 11, 5 / 6)] == pytest.approx([0.21, 0.44])
    # TWR: 2420/1000 × 120/120 × 80/1520 − 1
    twr_expected = 2.42 * 80 / 1520 - 1
    # when: on 29 February 2028 (the month runs from 31 January)
    html = _page(tenant_a, user, date(2028, 2, 29))
    # then
    assert _percent(twr_expected) == "-87.26 %"
    assert _cells(html, "1 month")[:2] == [["-87.26", "%"], ["21.00", "%"]]
    text = _text(html)
    assert "Rates for the period that solve the flows: 21.00 %, 44.00 %." in text
    assert "2 rates solve the flows (their signs change 2 times); the one nearest zero" in text
    assert (
        "2028-01-31 put in -1,000.00 2028-02-14 taken out 2,300.00 2028-02-28 put in -1,320.00"
        in text
    )


def test_a_year_of_history_is_shown_for_the_period_and_annualized(tenant_a, client_account):
    # given: 1,000 on Friday 28 November 2025, 1,210 on 30 November 2026
    user, account = client_account
    _history(account, [(date(2025, 11, 28), 1000, 0), (date(2026, 11, 30), 1210, 0)])
    # when: the year from 30 November 2025 opens on the Friday before (the 28th): 367 days
    html = _page(tenant_a, user, date(2026, 11, 30))
    # then: 21 % for the period, 1.21^(365/367) − 1 a year
    annual = _percent(1.21 ** (365 / 367) - 1)
    assert annual == "20.87 %"
    assert _cells(html, "1 year")[:2] == [["21.00", "%", annual[:-2], "%", "annualized"]] * 2
    assert f"Shown: 21.00 % for the period of 367 days, {annual} annualized." in _text(html)


PERIODS_AT = {
    # today: (1W, MTD, 1M, YTD, 1Y) starts; every period ends today
    date(2026, 11, 30): ("2026-11-23", "2026-10-31", "2026-10-31", "2025-12-31", "2025-11-30"),
    date(2026, 12, 31): ("2026-12-24", "2026-11-30", "2026-11-30", "2025-12-31", "2025-12-31"),
    date(2027, 1, 1): ("2026-12-25", "2026-12-31", "2026-12-01", "2026-12-31", "2026-01-01"),
    date(2028, 2, 29): ("2028-02-22", "2028-01-31", "2028-01-31", "2027-12-31", "2027-02-28"),
    date(2026, 3, 8): ("2026-03-01", "2026-02-28", "2026-02-08", "2025-12-31", "2025-03-08"),
    date(2026, 11, 1): ("2026-10-25", "2026-10-31", "2026-10-01", "2025-12-31", "2025-11-01"),
    date(2026, 11, 26): ("2026-11-19", "2026-10-31", "2026-10-26", "2025-12-31", "2025-11-26"),
    date(2026, 11, 28): ("2026-11-21", "2026-10-31", "2026-10-28", "2025-12-31", "2025-11-28"),
}


@pytest.mark.parametrize("today", PERIODS_AT)
def test_period_range_at_fixed_dates(today):
    # given: a month end, 31 December, 1 January, 29 February 2028, the US DST switch days, a
    # US holiday (Thanksgiving) and a Saturday
    expected = [(date.fromisoformat(s), today) for s in PERIODS_AT[today]]
    # when
    with time_machine.travel(dt.datetime.combine(today, dt.time(23, 59), tzinfo=dt.UTC)):
        ranges = [period_range(code, today=timezone.localdate()) for code in PERIODS]
    # then
    assert ranges == expected


def test_the_client_picks_a_benchmark_and_its_return_is_drawn(tenant_a, holder, settings):
    from ledger.tests.factories import instrument_make, price_set

    # given two benchmarks the tenant offers, one with prices over the last month
    user, account = holder
    today = timezone.localdate()
    index = instrument_make("BMKIDX", description="Index tracker", asset_class="ETF")
    instrument_make("BMKNONE", description="Unpriced tracker", asset_class="ETF")
    start, _ = period_range("1M", today=today)
    for n, close in enumerate(("100", "104.5")):
        price_set(index, start if n == 0 else today, close)
    settings.PORTAL_BENCHMARKS = ["BMKNONE", "BMKIDX", "MISSING"]
    with tenant_context(tenant_a):
        nav_snapshots_rebuild(start=today - timedelta(days=40), end=today, account_ids=[account.pk])
    # when the client chooses it
    html = (
        portal_client(tenant_a, user)
        .get(reverse("clientportal:performance"), {"range": "1M", "benchmark": "BMKIDX"})
        .content.decode()
    )
    # then only benchmarks the ledger knows are offered, the chosen one is selected, the
    # 1-month row shows its 4.50 % and the chart draws it as a second line
    assert '<option value="BMKIDX" selected>Index tracker (BMKIDX)</option>' in html
    assert '<option value="BMKNONE">' in html and "MISSING" not in html
    assert _cells(html, "1 month")[2] == ["4.50", "%"]
    assert 'data-period="1 month" class="current"' in html
    assert html.count("<polyline") == 2
    assert "Dashed: Index tracker (BMKIDX)." in html


def test_a_tenant_offers_its_own_benchmarks_and_refuses_unknown_symbols(tenant_a, holder, settings):
    from django.core.exceptions import ValidationError

    from branding.brand import Brand
    from branding.selectors import brand_cache_clear
    from ledger.tests.factories import instrument_make

    # given the platform's list and two instruments the tenant's brand names in its own order
    user, _ = holder
    instrument_make("BMKONE", description="First tracker", asset_class="ETF")
    instrument_make("BMKTWO", description="Second tracker", asset_class="ETF")
    settings.PORTAL_BENCHMARKS = ["BMKONE"]
    with tenant_context(tenant_a):
        brand = Brand.load()
        # when a symbol the instrument master lacks is entered, the brand is refused
        brand.benchmarks = "bmktwo, NOSUCH"
        with pytest.raises(ValidationError) as refused:
            brand.full_clean()
        assert "NOSUCH" in str(refused.value.message_dict["benchmarks"])
        # and the tenant's own list saves
        brand.benchmarks = "bmktwo, BMKONE, bmktwo"
        brand.full_clean()
        brand.save()
        brand_cache_clear()
    assert brand.benchmark_symbols == ["BMKTWO", "BMKONE"]
    try:
        page = portal_client(tenant_a, user).get(reverse("clientportal:performance"))
    finally:
        # the brand the page cached is rolled back with the test
        with tenant_context(tenant_a):
            brand_cache_clear()
    html = page.content.decode()
    # then the page offers the tenant's benchmarks, its first one chosen
    assert '<option value="BMKTWO" selected>Second tracker (BMKTWO)</option>' in html
    assert '<option value="BMKONE">' in html


def test_dashboard_draws_the_nav_of_the_chosen_range_with_its_text_alternative(
    tenant_a, client_account
):
    # given NAV rows over two months (no flows after the opening)
    user, account = client_account
    _history(
        account,
        [
            (date(2026, 9, 30), 1000, 1000),
            (date(2026, 10, 20), 1500, 0),
            (date(2026, 11, 13), 1200, 0),
            (date(2026, 11, 20), 1800, 0),
        ],
    )
    moment = dt.datetime.combine(date(2026, 11, 20), dt.time(22, 30), tzinfo=dt.UTC)

    def dashboard(**params) -> str:
        with time_machine.travel(moment, tick=False):
            response = portal_client(tenant_a, user).get(reverse("clientportal:home"), params)
        assert response.status_code == 200
        html = response.content.decode()
        return html.split('id="nav-chart"')[1].split("</section>")[0]

    # when the week, the default month and the year-to-date are chosen
    week, month, ytd = dashboard(range="1W"), dashboard(), dashboard(range="YTD")
    # then each chart has the points of its range (the week opens from the last NAV on or
    # before its start, 13 Nov), and its text alternative names the figures
    assert week.count("<polyline") == 1
    assert len(week.split('points="')[1].split('"')[0].split()) == 2
    assert len(month.split('points="')[1].split('"')[0].split()) == 3
    assert len(ytd.split('points="')[1].split('"')[0].split()) == 4
    assert (
        "Net liquidation value from 1,200.00 USD on 13 Nov 2026 to 1,800.00 USD on "
        "20 Nov 2026 (+600.00 USD, 2 daily values; low 1,200.00, high 1,800.00)."
    ) in week
    assert 'role="img" aria-label="Net liquidation value from 1,000.00 USD on 30 Sep 2026' in ytd
    assert '<a href="?range=YTD#nav-chart" aria-current="true">' in ytd
    # the axis is the data's range, not from zero
    assert ">1,800<" in ytd and ">1,000<" in ytd and ">0<" not in ytd
    # an unknown range falls back to the month
    assert dashboard(range="10Y") == month
