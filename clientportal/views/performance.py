"""Performance: TWR and MWR side by side for standard ranges and a custom one, against a
benchmark, with the calculation's steps. Figures come from the ledger's `performance_for`."""

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from clientportal.charts import Series, line_chart_svg
from clientportal.scope import portal_scope

RANGES = (
    ("1W", "1 week"),
    ("MTD", "Month to date"),
    ("1M", "1 month"),
    ("YTD", "Year to date"),
    ("1Y", "1 year"),
    ("custom", "Custom"),
)
BENCHMARK = "SPY"


def range_dates(key: str, today: date, start: str = "", end: str = "") -> tuple[date, date]:
    if key == "1W":
        return today - timedelta(days=7), today
    if key == "MTD":
        return today.replace(day=1) - timedelta(days=1), today
    if key == "1M":
        return today - timedelta(days=30), today
    if key == "YTD":
        return date(today.year - 1, 12, 31), today
    if key == "custom":
        try:
            first, last = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError:
            return today - timedelta(days=365), today
        return min(first, last), min(max(first, last), today)
    return today - timedelta(days=365), today


@login_required
def performance(request):
    from ledger import selectors as ledger_selectors

    scope = portal_scope(request)
    key = request.GET.get("range", "1M")
    if key not in dict(RANGES):
        key = "1M"
    start, end = range_dates(
        key, timezone.localdate(), request.GET.get("start", ""), request.GET.get("end", "")
    )
    context = {"portal": scope, "ranges": RANGES, "range": key, "start": start, "end": end}
    performance_for = getattr(ledger_selectors, "performance_for", None)
    if performance_for is not None and scope.selected_ids:
        result = performance_for(
            tenant=request.tenant,
            account_ids=scope.selected_ids,
            start=start,
            end=end,
            benchmark_symbol=BENCHMARK,
        )
        context["result"] = result
        context["chart"] = _chart(result)
    return render(request, "clientportal/performance.html", context)


def _chart(result) -> str:
    twr = getattr(result, "twr", None)
    steps = list(getattr(twr, "steps", ()) or ())
    if not steps:
        return ""
    series = [Series("Portfolio (TWR)", [float(s.cumulative) * 100 for s in steps])]
    bench = getattr(result, "benchmark", None)
    if bench is not None and getattr(bench, "steps", None):
        series.append(Series("Benchmark", [float(s.cumulative) * 100 for s in bench.steps]))
    labels = [steps[0].date.isoformat(), steps[-1].date.isoformat()]
    return line_chart_svg(series, x_labels=labels, title="Cumulative return")
