"""NAV history and performance reads (tenant-scoped), computed by `ledger.domain.performance`."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Max, QuerySet, Sum

from ledger.domain.performance import (
    DayPoint,
    MwrResult,
    TwrResult,
    benchmark_return,
    history_points,
    mwr,
    twr,
)
from ledger.models import NavSnapshot
from ledger.selectors.accounts import Accounts, accounts_for
from ledger.selectors.contribution import contributions_for_ids
from ledger.selectors.market import benchmark_closes_for

PERIODS = ("1W", "MTD", "1M", "YTD", "1Y")


def months_back(today: date, months: int) -> date:
    """The same day `months` calendar months before; from a month end, the month end (so
    30 November → 31 October, 29 February 2028 → 28 February 2027)."""
    index = today.year * 12 + today.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    month_end = today.day == calendar.monthrange(today.year, today.month)[1]
    return date(year, month + 1, last if month_end else min(today.day, last))


def period_range(code: str, *, today: date) -> tuple[date, date]:
    """The start (the close before the period) and end of a named period, in calendar days:
    1W from a week before, MTD from the last day of the previous month, 1M and 1Y from the same
    day a month and a year before (`months_back`), YTD from 31 December. A start on a weekend or
    holiday is read from the last NAV on or before it (`nav_points_for`)."""
    match code:
        case "1W":
            return today - timedelta(days=7), today
        case "MTD":
            return today.replace(day=1) - timedelta(days=1), today
        case "1M":
            return months_back(today, 1), today
        case "YTD":
            return date(today.year - 1, 12, 31), today
        case "1Y":
            return months_back(today, 12), today
    raise ValueError(f"Unknown period {code!r}; one of {PERIODS}.")


def nav_history_for(
    *, tenant, account_ids: Accounts, start: date, end: date
) -> QuerySet[NavSnapshot]:
    ids = accounts_for(tenant=tenant, account_ids=account_ids).values("pk")
    return NavSnapshot.objects.filter(account_id__in=ids, date__range=(start, end)).order_by(
        "date", "account_id"
    )


def nav_points_for(*, tenant, account_ids: Accounts, start: date, end: date) -> list[DayPoint]:
    """Daily NAV and flows summed over the accounts (all in one base currency), from the last
    NAV on or before `start` (the opening: a weekend or holiday start reads the close before
    it) to `end`, as `ledger.domain.performance.history_points` reads them: without any NAV on or
    before `start` the accounts opened inside the range and start from a NAV of 0."""
    ids = accounts_for(tenant=tenant, account_ids=account_ids).values("pk")
    opening = NavSnapshot.objects.filter(account_id__in=ids, date__lte=start).aggregate(
        day=Max("date")
    )["day"]
    rows = (
        NavSnapshot.objects.filter(account_id__in=ids, date__range=(opening or start, end))
        .values("date")
        .annotate(nav=Sum("nav"), flows=Sum("flows"))
        .order_by("date")
    )
    points = [DayPoint(r["date"], r["nav"], r["flows"]) for r in rows]
    return history_points(points, opening_known=opening is not None)


def nav_series_for(
    *, tenant, account_ids: Accounts, start: date, end: date
) -> list[tuple[date, Decimal]]:
    """(date, NAV summed over the accounts) as recorded, from the last NAV on or before `start`
    to `end`: the line a NAV chart draws (no opening point is made up, unlike `nav_points_for`,
    which returns are computed on)."""
    ids = accounts_for(tenant=tenant, account_ids=account_ids).values("pk")
    opening = NavSnapshot.objects.filter(account_id__in=ids, date__lte=start).aggregate(
        day=Max("date")
    )["day"]
    rows = (
        NavSnapshot.objects.filter(account_id__in=ids, date__range=(opening or start, end))
        .values("date")
        .annotate(nav=Sum("nav"))
        .order_by("date")
    )
    return [(r["date"], r["nav"]) for r in rows]


def nav_points_by_account(
    *, tenant, account_ids: Accounts, start: date, end: date
) -> dict[int, list[DayPoint]]:
    """Per account, the points `nav_points_for` gives for that account alone (two queries for
    all the accounts)."""
    ids = list(accounts_for(tenant=tenant, account_ids=account_ids).values_list("pk", flat=True))
    openings = dict(
        NavSnapshot.objects.filter(account_id__in=ids, date__lte=start)
        .values("account_id")
        .annotate(day=Max("date"))
        .values_list("account_id", "day")
    )
    raw: dict[int, list[DayPoint]] = {pk: [] for pk in ids}
    first = min(openings.values(), default=start)
    for row in NavSnapshot.objects.filter(account_id__in=ids, date__range=(first, end)).order_by(
        "account_id", "date"
    ):
        if row.date >= openings.get(row.account_id, start):
            raw[row.account_id].append(DayPoint(row.date, row.nav, row.flows))
    return {pk: history_points(raw[pk], opening_known=pk in openings) for pk in ids}


@dataclass(frozen=True)
class PerformanceReport:
    start: date
    end: date
    base_currency: str
    twr: TwrResult | None
    mwr: MwrResult | None
    benchmark_symbol: str | None
    benchmark: TwrResult | None
    contribution_by_asset_class: dict[str, Decimal]
    note: str = ""
    contribution_by_position: dict[str, Decimal] = field(default_factory=dict)


def performance_for(
    *, tenant, account_ids: Accounts, start: date, end: date, benchmark_symbol: str | None = None
) -> PerformanceReport:
    accounts = list(accounts_for(tenant=tenant, account_ids=account_ids))
    base = accounts[0].base_currency if accounts else "USD"
    if len({a.base_currency for a in accounts}) > 1:
        raise ValueError("Performance over accounts of different base currencies is not summed.")
    points = nav_points_for(
        tenant=tenant, account_ids=[a.pk for a in accounts], start=start, end=end
    )
    note, time_weighted, money_weighted = "", None, None
    if len(points) >= 2:
        time_weighted, money_weighted = twr(points), mwr(points)
    else:
        note = "Not enough NAV history in the range."
    by_class, by_position = contributions_for_ids(
        account_ids=[a.pk for a in accounts],
        base=base,
        start=points[0].date if points else start,
        end=end,
        points=points,
    )
    bench = None
    if benchmark_symbol:
        closes = benchmark_closes_for(tenant=tenant, symbol=benchmark_symbol, start=start, end=end)
        bench = benchmark_return(closes) if len(closes) >= 2 else None
    return PerformanceReport(
        start=start,
        end=end,
        base_currency=base,
        twr=time_weighted,
        mwr=money_weighted,
        benchmark_symbol=benchmark_symbol,
        benchmark=bench,
        contribution_by_asset_class=by_class,
        note=note,
        contribution_by_position=by_position,
    )
