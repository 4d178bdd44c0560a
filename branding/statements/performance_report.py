"""The staff performance report over an advisor master's sub-accounts, in the brand.

For each sub-account, over the period (returns from the close of the day before it starts, as in
the activity statement): starting NAV, net external flows, P&L (= ending − starting − flows),
ending NAV, and TWR and MWR computed by `ledger.domain.performance` on the account's NAV history
(read for all the subs in one query: the same points `ledger.selectors.performance_for` takes, so
the figures are the ledger's own), with the TWR's excess over the benchmark's price return.
Sub-accounts are ranked by TWR, best first (an account without enough NAV history last, then by
number). The total row is the master consolidated: sums of the NAV columns, and TWR/MWR of the
summed NAV history of the master and all its subs (`performance_for`, which also gives the
benchmark). The daily steps of the consolidated TWR follow.

Sections and CSV columns (layout in `report_render`; returns in the CSV are plain fractions,
0.0123 = 1.23 %, empty where there is none):
- "Report": Field, Value (Master account, Master title, Period, Base currency, Benchmark,
  Benchmark return, Sub-accounts).
- "Returns by account": Rank, Account, Title, Starting NAV, Net flows, P&L, Ending NAV, TWR,
  MWR, TWR vs benchmark; a Total row for the consolidated master.
- "Consolidated daily returns": Date, Start value, Flow, End value, Daily return, Cumulative.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from django.utils import timezone

from branding.statements.layout import DISPLAY, PLAIN, Column, Formats, Section, percent
from branding.statements.report_render import BarChart, Report
from ledger.domain.performance import DayPoint, MwrResult, TwrResult, TwrStep, mwr, twr
from ledger.models import Account
from ledger.selectors import accounts_for, nav_points_by_account, performance_for

ZERO = Decimal(0)
DEFAULT_BENCHMARK = "SPY"
RETURN_COLUMNS = (
    Column("Rank", True),
    Column("Account"),
    Column("Title"),
    Column("Starting NAV", True),
    Column("Net flows", True),
    Column("P&L", True),
    Column("Ending NAV", True),
    Column("TWR", True),
    Column("MWR", True),
    Column("TWR vs benchmark", True),
)
STEP_COLUMNS = (
    Column("Date"),
    Column("Start value", True),
    Column("Flow", True),
    Column("End value", True),
    Column("Daily return", True),
    Column("Cumulative", True),
)


@dataclass(frozen=True)
class AccountReturn:
    number: str
    title: str
    starting_nav: Decimal
    flows: Decimal
    ending_nav: Decimal
    twr: Decimal | None
    mwr: Decimal | None
    excess: Decimal | None
    note: str = ""

    @property
    def pnl(self) -> Decimal:
        return self.ending_nav - self.starting_nav - self.flows


@dataclass(frozen=True)
class PerformanceOverview:
    master_number: str
    master_title: str
    period_start: dt.date
    period_end: dt.date
    base_currency: str
    benchmark_symbol: str
    benchmark_return: Decimal | None
    ranked: tuple[AccountReturn, ...]
    total: AccountReturn
    steps: tuple[TwrStep, ...]
    generated_at: dt.datetime


def rank_key(row: AccountReturn):
    """Best TWR first; accounts without a TWR last; ties by account number."""
    return (row.twr is None, -(row.twr or ZERO), row.number)


def _histories(tenant, ids, day_before, end) -> dict[int, list[DayPoint]]:
    """Per account, its daily NAV and flows from the opening (its last NAV on or before the
    close before the period, or a NAV of 0 when it opened inside the period) to its end."""
    return nav_points_by_account(tenant=tenant, account_ids=ids, start=day_before, end=end)


def _nav_summary(points: list[DayPoint]) -> tuple[Decimal, Decimal, Decimal]:
    """NAV at the opening, flows in the period, NAV at its end."""
    if not points:
        return ZERO, ZERO, ZERO
    return points[0].nav, sum((p.flow for p in points[1:]), ZERO), points[-1].nav


def _account_returns(points: list[DayPoint]) -> tuple[TwrResult | None, MwrResult | None, str]:
    """TWR and MWR of one account's history by `ledger.domain.performance`, on the same points as
    `ledger.selectors.performance_for` takes. The note says why a return is not shown."""
    if len(points) < 2:
        return None, None, "Not enough NAV history in the range."
    time_weighted, money_weighted = twr(points), mwr(points)
    notes = [time_weighted.reason, "" if money_weighted.meaningful else money_weighted.reason]
    return time_weighted, money_weighted, " ".join(n for n in notes if n)


def _consolidated(tenant, ids, day_before, end, benchmark_symbol):
    try:
        report = performance_for(
            tenant=tenant,
            account_ids=ids,
            start=day_before,
            end=end,
            benchmark_symbol=benchmark_symbol or None,
        )
    except ValueError as exc:  # accounts of different base currencies are not summed
        return None, str(exc)
    notes = [report.note, report.twr.reason if report.twr else ""]
    if report.mwr is not None and not report.mwr.meaningful:
        notes.append(report.mwr.reason)
    return report, " ".join(n for n in notes if n)


def performance_overview(
    *,
    tenant,
    master: Account,
    period_start: dt.date,
    period_end: dt.date,
    benchmark_symbol: str = DEFAULT_BENCHMARK,
) -> PerformanceOverview:
    """The report's figures for `master` (an advisor master of `tenant`) over the period."""
    if master.account_type != Account.Type.MASTER:
        raise Account.DoesNotExist("Not an advisor master.")
    if master.tenant_id != tenant.pk:
        raise Account.DoesNotExist("Not an account of this tenant.")
    subs = list(accounts_for(tenant=tenant).filter(parent_id=master.pk).order_by("number"))
    day_before = period_start - dt.timedelta(days=1)
    all_ids = [master.pk, *(s.pk for s in subs)]
    histories = _histories(tenant, all_ids, day_before, period_end)
    navs = {pk: _nav_summary(points) for pk, points in histories.items()}
    rows = []
    for sub in subs:
        time_weighted, money_weighted, note = _account_returns(histories[sub.pk])
        start_nav, flows, end_nav = navs[sub.pk]
        rows.append(
            AccountReturn(
                number=sub.number,
                title=sub.title,
                starting_nav=start_nav,
                flows=flows,
                ending_nav=end_nav,
                twr=time_weighted.cumulative if time_weighted else None,
                mwr=money_weighted.period_return if money_weighted else None,  # None: n/m
                excess=None,
                note=note,
            )
        )
    consolidated, note = _consolidated(tenant, all_ids, day_before, period_end, benchmark_symbol)
    benchmark = (
        consolidated.benchmark.cumulative if consolidated and consolidated.benchmark else None
    )

    def excess(value):
        return None if value is None or benchmark is None else value - benchmark

    ranked = tuple(sorted((replace(r, excess=excess(r.twr)) for r in rows), key=rank_key))
    total_twr = consolidated.twr.cumulative if consolidated and consolidated.twr else None
    total = AccountReturn(
        number=master.number,
        title=master.title,
        starting_nav=sum((navs[pk][0] for pk in all_ids), ZERO),
        flows=sum((navs[pk][1] for pk in all_ids), ZERO),
        ending_nav=sum((navs[pk][2] for pk in all_ids), ZERO),
        twr=total_twr,
        mwr=consolidated.mwr.period_return if consolidated and consolidated.mwr else None,
        excess=excess(total_twr),
        note=note,
    )
    return PerformanceOverview(
        master_number=master.number,
        master_title=master.title,
        period_start=period_start,
        period_end=period_end,
        base_currency=master.base_currency,
        benchmark_symbol=benchmark_symbol,
        benchmark_return=benchmark,
        ranked=ranked,
        total=total,
        steps=consolidated.twr.steps if consolidated and consolidated.twr else (),
        generated_at=timezone.now(),
    )


def performance_report(overview: PerformanceOverview, f: Formats = DISPLAY) -> Report:
    """The report's tables, formatted by `f` (DISPLAY for the PDF: returns as percentages;
    PLAIN for CSV: returns as fractions)."""

    def ratio(value: Decimal | None) -> str:
        if f is PLAIN:
            return "" if value is None else format(value, "f")
        return percent(value)

    info = Section(
        "report",
        "Report",
        (Column("Field"), Column("Value")),
        [
            ("Master account", overview.master_number),
            ("Master title", overview.master_title),
            ("Period", f"{overview.period_start.isoformat()} – {overview.period_end.isoformat()}"),
            ("Base currency", overview.base_currency),
            ("Benchmark", overview.benchmark_symbol or "–"),
            ("Benchmark return", ratio(overview.benchmark_return)),
            ("Sub-accounts", str(len(overview.ranked))),
        ],
    )

    def row(rank: str, r: AccountReturn) -> tuple[str, ...]:
        return (
            rank,
            r.number,
            r.title,
            f.money(r.starting_nav),
            f.money(r.flows),
            f.money(r.pnl),
            f.money(r.ending_nav),
            ratio(r.twr),
            ratio(r.mwr),
            ratio(r.excess),
        )

    returns = Section(
        "returns",
        "Returns by account",
        RETURN_COLUMNS,
        [row(str(rank), r) for rank, r in enumerate(overview.ranked, start=1)],
        row("Total", overview.total),
    )
    steps = Section(
        "steps",
        "Consolidated daily returns",
        STEP_COLUMNS,
        [
            (
                s.date.isoformat(),
                f.money(s.start_value),
                f.money(s.flow),
                f.money(s.end_value),
                ratio(s.daily_return),
                ratio(s.cumulative),
            )
            for s in overview.steps
        ],
    )
    notes = [
        "TWR: daily-linked time-weighted return, external flows at the start of the day (GIPS). "
        "MWR: money-weighted return (XIRR) over the period; where the flows give several rates, "
        "the one nearest zero; – where it is not meaningful (the note says why). Returns are "
        "for the period, not annualized. Returns run from the close of the day before the "
        "period. The total is the master consolidated with its sub-accounts."
    ]
    notes += [f"{r.number}: {r.note}" for r in (*overview.ranked, overview.total) if r.note]
    chart = BarChart(
        title="Time-weighted return by account",
        bars=tuple((r.number, r.twr) for r in overview.ranked if r.twr is not None),
        reference_label=overview.benchmark_symbol,
        reference=overview.benchmark_return,
    )
    return Report(
        kind="performance",
        title="Performance Report",
        subject=(
            f"{overview.master_number} · {overview.period_start.isoformat()} – "
            f"{overview.period_end.isoformat()}"
        ),
        generated_at=overview.generated_at,
        sections=(info, returns, steps),
        notes=tuple(notes),
        chart=chart,
        chart_after="returns",
        empty_text="No NAV history in this period.",
    )
