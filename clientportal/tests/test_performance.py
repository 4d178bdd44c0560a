from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import tenant_context

from clientportal.charts import Series, line_chart_svg
from ledger.nav import nav_snapshots_rebuild
from ledger.selectors_performance import performance_for, period_range

from .conftest import portal_client


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
