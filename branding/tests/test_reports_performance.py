"""The staff performance report over a master's sub-accounts: the ledger's TWR/MWR, ranked."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from branding.statements.layout import PLAIN, money, percent
from branding.statements.performance_report import performance_overview, performance_report
from branding.statements.report_render import csv_sections, report_csv, report_pdf
from branding.tests.factories import END, START, master_with_subs, pdf_pages, pdf_text
from ledger.selectors import performance_for
from ledger.services import account_open
from tests.support.statements import BRAND

D = Decimal
DAY_BEFORE = START - timedelta(days=1)
# title, buy price, price at the end: +10 %, −5 %, +3 % on the stock
MOVES = (("Growth", "50", "55"), ("Laggard", "80", "76"), ("Steady", "20", "20.6"))


def _ledger_returns(tenant, ids, benchmark):
    return performance_for(
        tenant=tenant, account_ids=ids, start=DAY_BEFORE, end=END, benchmark_symbol=benchmark
    )


def test_pdf_ranks_subs_by_twr_with_the_ledgers_returns_and_the_consolidated_total(tenant_a):
    with tenant_context(tenant_a):
        # given
        master, subs, benchmark = master_with_subs(tenant_a, moves=MOVES)
        ledger = {s.number: _ledger_returns(tenant_a, [s.pk], benchmark.symbol) for s in subs}
        consolidated = _ledger_returns(
            tenant_a, [master.pk, *(s.pk for s in subs)], benchmark.symbol
        )
        # when
        overview = performance_overview(
            tenant=tenant_a,
            master=master,
            period_start=START,
            period_end=END,
            benchmark_symbol=benchmark.symbol,
        )
        pdf = report_pdf(performance_report(overview), BRAND)
    text = pdf_text(pdf)
    growth, laggard, steady = subs
    # then: ranked best TWR first
    assert [r.number for r in overview.ranked] == [growth.number, steady.number, laggard.number]
    twrs = [ledger[r.number].twr.cumulative for r in overview.ranked]
    assert twrs == sorted(twrs, reverse=True)
    # each sub's TWR and MWR are the ledger's, as is the benchmark
    bench = ledger[growth.number].benchmark.cumulative
    assert bench == D("0.03")
    for rank, row in enumerate(overview.ranked, start=1):
        report = ledger[row.number]
        assert (row.twr, row.mwr) == (report.twr.cumulative, report.mwr.period_return)
        assert (
            f"{rank} {row.number} {row.title} {money(row.starting_nav)} {money(row.flows)} "
            f"{money(row.pnl)} {money(row.ending_nav)} {percent(report.twr.cumulative)} "
            f"{percent(report.mwr.period_return)} {percent(report.twr.cumulative - bench)}"
        ) in text
    # the flows of the period make TWR and MWR differ for the first sub
    assert overview.ranked[0].flows == D(5000)
    assert overview.ranked[0].twr != overview.ranked[0].mwr
    # the total is the master consolidated
    total = overview.total
    assert total.twr == consolidated.twr.cumulative
    assert total.mwr == consolidated.mwr.period_return
    assert total.ending_nav == sum((r.ending_nav for r in overview.ranked), D(0))
    assert (
        f"Total {master.number} {master.title} {money(total.starting_nav)} {money(total.flows)} "
        f"{money(total.pnl)} {money(total.ending_nav)} {percent(total.twr)} {percent(total.mwr)}"
    ) in text
    assert f"Benchmark return {percent(bench)}" in text
    # the consolidated daily steps, ending at the consolidated TWR
    last = consolidated.twr.steps[-1]
    assert f"{END.isoformat()} {money(last.start_value)}" in text
    assert last.cumulative == total.twr
    pages = pdf_pages(pdf)
    assert f"Performance Report · {master.number} · 2026-10-01 – 2026-10-30" in pages[0]
    assert pages[0].startswith("Northwind Securities")
    assert f"Page 1 of {len(pages)}" in pages[0]


def test_csv_has_documented_columns_and_exact_returns(tenant_a):
    with tenant_context(tenant_a):
        # given
        master, subs, benchmark = master_with_subs(tenant_a, moves=MOVES)
        ledger = {s.number: _ledger_returns(tenant_a, [s.pk], benchmark.symbol) for s in subs}
        overview = performance_overview(
            tenant=tenant_a,
            master=master,
            period_start=START,
            period_end=END,
            benchmark_symbol=benchmark.symbol,
        )
        # when
        data = report_csv(performance_report(overview, PLAIN), BRAND)
    sections = csv_sections(data)
    # then
    assert sections["Returns by account"]["Header"] == [
        [
            "Rank",
            "Account",
            "Title",
            "Starting NAV",
            "Net flows",
            "P&L",
            "Ending NAV",
            "TWR",
            "MWR",
            "TWR vs benchmark",
        ]
    ]
    rows = sections["Returns by account"]["Data"]
    assert [r[0] for r in rows] == ["1", "2", "3"]
    assert [r[2] for r in rows] == ["Growth", "Steady", "Laggard"]
    for row in rows:
        report = ledger[row[1]]
        assert D(row[7]) == report.twr.cumulative
        assert D(row[8]) == report.mwr.period_return
        assert D(row[3]) + D(row[4]) + D(row[5]) == D(row[6])
    (total,) = sections["Returns by account"]["Total"]
    assert total[:2] == ["Total", master.number]
    assert D(total[6]) == sum(D(r[6]) for r in rows)
    assert sections["Consolidated daily returns"]["Header"] == [
        ["Date", "Start value", "Flow", "End value", "Daily return", "Cumulative"]
    ]
    assert D(sections["Consolidated daily returns"]["Data"][-1][5]) == D(total[7])


def test_a_master_without_subs_reports_nothing_to_rank(tenant_a):
    with tenant_context(tenant_a):
        master = account_open(tenant=tenant_a, title="Empty master", account_type="master")
        overview = performance_overview(
            tenant=tenant_a, master=master, period_start=START, period_end=END
        )
        text = pdf_text(report_pdf(performance_report(overview), BRAND))
    assert overview.ranked == ()
    assert overview.total.twr is None
    assert "No NAV history in this period." in text
    assert date(2026, 10, 1).isoformat() in text


def test_a_sub_without_nav_history_ranks_last_with_a_note(tenant_a):
    with tenant_context(tenant_a):
        # given: a sub opened after the NAV history was built
        master, subs, benchmark = master_with_subs(tenant_a, moves=MOVES[:2])
        late = account_open(tenant=tenant_a, title="Aardvark", account_type="sub", parent=master)
        # when
        overview = performance_overview(
            tenant=tenant_a,
            master=master,
            period_start=START,
            period_end=END,
            benchmark_symbol=benchmark.symbol,
        )
    # then
    assert [r.number for r in overview.ranked] == [subs[0].number, subs[1].number, late.number]
    assert (overview.ranked[-1].twr, overview.ranked[-1].mwr) == (None, None)
    assert overview.ranked[-1].note == "Not enough NAV history in the range."


def test_queries_do_not_grow_with_the_number_of_subs(tenant_a):
    with tenant_context(tenant_a):
        counts = []
        for moves in (MOVES[:1], MOVES * 2):
            # given
            master, _, benchmark = master_with_subs(tenant_a, moves=moves)
            # when
            with CaptureQueriesContext(connection) as queries:
                overview = performance_overview(
                    tenant=tenant_a,
                    master=master,
                    period_start=START,
                    period_end=END,
                    benchmark_symbol=benchmark.symbol,
                )
            counts.append(len(queries))
            assert len(overview.ranked) == len(moves)
    # then
    assert counts[0] == counts[1]
