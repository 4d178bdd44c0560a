"""Performance: TWR and MWR side by side for 1W, MTD, 1M, YTD, 1Y and a custom range, against a
benchmark, as a chart, with "how this is calculated" showing the steps: the TWR's daily links
and the days it leaves out, the MWR's dated flows and the rule that chose its rate. Returns are
for the period; a year or more is also annualized (GIPS 2.A.12). Figures come from the ledger's
`performance_for` over the NAV history."""

from datetime import date

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from branding.selectors import brand_current
from clientportal.charts import Series, line_chart_svg
from clientportal.scope import portal_page
from ledger.selectors import PERIODS, instruments_by_symbol, performance_for, period_range

PERIOD_LABELS = {
    "1W": "1 week",
    "MTD": "Month to date",
    "1M": "1 month",
    "YTD": "Year to date",
    "1Y": "1 year",
}


def _benchmarks(request) -> list[tuple[str, str]]:
    """(symbol, name) of the benchmarks a client may compare with: the tenant's own (its
    brand's `benchmarks`), else the platform's `PORTAL_BENCHMARKS`, those the ledger knows, in
    that order."""
    tenant = request.tenant
    symbols = brand_current(request=request).benchmark_symbols or list(settings.PORTAL_BENCHMARKS)
    known = instruments_by_symbol(tenant=tenant, symbols=symbols)
    return [
        (s, known[s].description.removesuffix(" (synthetic demo prices)") or s)
        for s in symbols
        if s in known
    ]


def _custom_range(request, today: date) -> tuple[date, date] | None:
    try:
        first = date.fromisoformat(request.GET.get("start", ""))
        last = date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        return None
    first, last = min(first, last), min(max(first, last), today)
    return first, last


@portal_page
def performance(request):
    scope = request.portal
    today = timezone.localdate()
    selected = request.GET.get("range", "1M")
    custom = _custom_range(request, today) if selected == "custom" else None
    if selected not in PERIODS and custom is None:
        selected = "1M"
    benchmarks = _benchmarks(request)
    chosen = dict(benchmarks)
    benchmark = request.GET.get("benchmark", "")
    benchmark = benchmark if benchmark in chosen else (benchmarks[0][0] if benchmarks else "")
    context = {
        "periods": PERIOD_LABELS,
        "range": selected,
        "rows": [],
        "benchmarks": benchmarks,
        "benchmark": benchmark,
        "benchmark_name": chosen.get(benchmark, ""),
    }
    bases = {a.base_currency for a in scope.selected}
    if not scope.selected_ids or len(bases) > 1:
        context["note"] = "Performance is shown per account when base currencies differ."
        return render(request, "clientportal/performance.html", context)
    for code in PERIODS:
        start, end = period_range(code, today=today)
        report = performance_for(
            tenant=request.tenant,
            account_ids=scope.selected_ids,
            start=start,
            end=end,
            benchmark_symbol=benchmark or None,
        )
        context["rows"].append((PERIOD_LABELS[code], report, code == selected))
        if code == selected:
            context["detail"] = report
    if custom is not None:
        report = performance_for(
            tenant=request.tenant,
            account_ids=scope.selected_ids,
            start=custom[0],
            end=custom[1],
            benchmark_symbol=benchmark or None,
        )
        context["rows"].append(("Custom", report, True))
        context["detail"] = report
    detail = context["detail"]
    context["start"], context["end"] = detail.start, detail.end
    context["chart"] = _chart(detail)
    return render(request, "clientportal/performance.html", context)


def _chart(report) -> str:
    if report.twr is None or report.twr.cumulative is None or not report.twr.steps:
        return ""
    steps = report.twr.steps
    series = [Series("Portfolio (TWR)", [float(s.cumulative) * 100 for s in steps])]
    if report.benchmark is not None and report.benchmark.cumulative is not None:
        series.append(
            Series(
                report.benchmark_symbol, [float(s.cumulative) * 100 for s in report.benchmark.steps]
            )
        )
    labels = [steps[0].date.isoformat(), steps[-1].date.isoformat()]
    return line_chart_svg(series, x_labels=labels, title="Cumulative return, %")
