"""NAV history and performance reads (tenant-scoped), computed by `ledger.performance`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import QuerySet, Sum

from ledger.models import Instrument, NavSnapshot, Price
from ledger.performance import (
    DayPoint,
    MwrResult,
    TwrResult,
    benchmark_return,
    mwr,
    twr,
)
from ledger.selectors import accounts_for
from ledger.selectors_contribution import contributions_for_ids

PERIODS = ("1W", "MTD", "1M", "YTD", "1Y")


def period_range(code: str, *, today: date) -> tuple[date, date]:
    """The start (the close before the period) and end of a named period."""
    match code:
        case "1W":
            return today - timedelta(days=7), today
        case "MTD":
            return today.replace(day=1) - timedelta(days=1), today
        case "1M":
            return today - timedelta(days=30), today
        case "YTD":
            return date(today.year - 1, 12, 31), today
        case "1Y":
            return today - timedelta(days=365), today
    raise ValueError(f"Unknown period {code!r}; one of {PERIODS}.")


def nav_history_for(*, tenant, account_ids, start: date, end: date) -> QuerySet[NavSnapshot]:
    ids = accounts_for(tenant=tenant, account_ids=account_ids).values("pk")
    return NavSnapshot.objects.filter(account_id__in=ids, date__range=(start, end)).order_by(
        "date", "account_id"
    )


def nav_points_for(*, tenant, account_ids, start: date, end: date) -> list[DayPoint]:
    """Daily NAV and flows summed over the accounts (all in one base currency)."""
    rows = (
        nav_history_for(tenant=tenant, account_ids=account_ids, start=start, end=end)
        .values("date")
        .annotate(nav=Sum("nav"), flows=Sum("flows"))
        .order_by("date")
    )
    return [DayPoint(r["date"], r["nav"], r["flows"]) for r in rows]


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
    *, tenant, account_ids, start: date, end: date, benchmark_symbol: str | None = None
) -> PerformanceReport:
    accounts = list(accounts_for(tenant=tenant, account_ids=account_ids))
    base = accounts[0].base_currency if accounts else "USD"
    if len({a.base_currency for a in accounts}) > 1:
        raise ValueError("Performance over accounts of different base currencies is not summed.")
    points = nav_points_for(
        tenant=tenant, account_ids=[a.pk for a in accounts], start=start, end=end
    )
    if points and points[0].nav == 0:
        points = points[1:]
    note, time_weighted, money_weighted = "", None, None
    if len(points) >= 2:
        time_weighted = twr(points)
        try:
            money_weighted = mwr(points)
        except ValueError as exc:
            note = str(exc)
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
        closes = list(
            Price.objects.filter(
                instrument__in=Instrument.objects.filter(symbol=benchmark_symbol),
                date__range=(start, end),
            )
            .order_by("date")
            .values_list("date", "close")
        )
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
