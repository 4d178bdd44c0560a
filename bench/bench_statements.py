"""Statement figures.

`statements_per_s`: a month-end run issuing branded statements (PDF + CSV + Flex XML, stored with
their SHA-256, each gathered from the ledger) for every account of a tenant, fanned out over 2
Celery worker processes through Redis; from the run's start to its last statement. The issue asks
for 10,000 accounts; by default a representative sample of BENCH_STATEMENTS=1000 accounts is
run (same per-statement work, 1-2 pages each) to fit the bench's time budget; set
BENCH_STATEMENTS=10000 for the full size.

`statements_vs_weasyprint_ratio`: the same statement rendered by WeasyPrint from HTML (same
sections, disclosures, running header and footer with "page x of y", same embedded font; the
HTML has no charts, which only favours WeasyPrint) divided by our ReportLab time, in the same
process; > 1 means ReportLab is faster.

`flex_export_trades_per_s`: one Flex statement with 200,000 trades streamed to a file with
`lxml.etree.xmlfile`; the trades come from a generator, and the Python heap peak during the
export is printed to show memory stays flat (it does not grow with the number of trades).
"""

import datetime as dt
import os
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

FIGURES = ("statements_per_s", "statements_vs_weasyprint_ratio", "flex_export_trades_per_s")
STATEMENTS = int(os.environ.get("BENCH_STATEMENTS", "1000"))
FLEX_TRADES = int(os.environ.get("BENCH_FLEX_TRADES", "200000"))
BROKER = os.environ.get("BENCH_STATEMENTS_BROKER_URL", "redis://127.0.0.1:6379/10")
PERIOD_START, PERIOD_END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)


def _tenant():
    from tenants.models import Tenant
    from tenants.services import tenant_provision

    tenant = Tenant.objects.filter(schema_name="bench_statements").first()
    return tenant or tenant_provision(
        name="Bench Statements",
        schema_name="bench_statements",
        domain="bench-statements.test",
        security_officer_email="so@bench-statements.test",
    )


def _books(tenant, count: int) -> None:
    """`count` accounts, each with a deposit and two trades in the period, and the nightly NAV
    snapshots of the period (so each statement computes TWR and MWR and draws its NAV chart)."""
    from django.db import connection

    from ledger.models import Account, Instrument, Price
    from ledger.services import account_number_next, cash_deposit, nav_snapshots_rebuild, trade_book

    instruments = [
        Instrument.objects.get_or_create(
            symbol=symbol,
            defaults={"asset_class": cls, "currency": "USD", "description": name},
        )[0]
        for symbol, cls, name in (
            ("BNCHA", "STK", "Bench Apple"),
            ("BNCHB", "ETF", "Bench Bond ETF"),
        )
    ]
    for instrument in instruments:
        for day, close in ((PERIOD_START - dt.timedelta(days=1), "100"), (PERIOD_END, "104.5")):
            Price.objects.update_or_create(
                instrument=instrument, date=day, defaults={"close": Decimal(close)}
            )
    numbers = account_number_next(prefix="U", count=count)
    accounts = Account.objects.bulk_create(
        Account(tenant=tenant, number=n, title=f"Zoë Bench {n}", account_type="individual")
        for n in numbers
    )
    for account in accounts:
        key = account.number
        cash_deposit(
            account=account,
            amount=Decimal(100000),
            currency="USD",
            idempotency_key=f"bd-{key}",
            value_date=PERIOD_START,
        )
        for index, instrument in enumerate(instruments):
            trade_book(
                account=account,
                instrument=instrument,
                side="BUY",
                quantity=Decimal(10 + index),
                price=Decimal("101.25"),
                trade_date=PERIOD_START + dt.timedelta(days=5 + index),  # Tue 6, Wed 7
                idempotency_key=f"bt{index}-{key}",
                commission=Decimal("1.00"),
            )
    nav_snapshots_rebuild(
        start=PERIOD_START - dt.timedelta(days=1),
        end=PERIOD_END,
        account_ids=[a.pk for a in accounts],
    )
    with connection.cursor() as cursor:
        # Fresh tables have no planner statistics yet (autovacuum would gather them within a
        # minute); without them PostgreSQL plans the journal reads as if it held a dozen rows.
        cursor.execute("ANALYZE")


def _cpu_seconds(roots: list[int]) -> float:
    """User + system CPU time so far of the processes `roots` and their descendants (Linux
    /proc): what the workers spent, whatever else the machine was running."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    family, total = set(roots), 0
    changed = True
    while changed:
        changed = False
        for pid, (parent, _) in table.items():
            if parent in family and pid not in family:
                family.add(pid)
                changed = True
    for pid in family:
        total += table.get(pid, (0, 0))[1]
    return total / tick


def _statements_per_s(tenant) -> float:
    from django_tenants.utils import tenant_context

    from branding.statement_models import IssuedStatement
    from branding.statements import services
    from branding.statements.services import statement_run_start
    from tests.support import workers as statement_workers

    statement_workers.broker_flush(BROKER)
    sender = statement_workers.sender(BROKER)
    services._dispatch = lambda run_id: sender.send_task(  # noqa: SLF001
        "branding.tasks.statement_run_dispatch", args=[run_id]
    )
    workers = [statement_workers.worker_start(broker=BROKER) for _ in range(2)]
    try:
        time.sleep(5)  # let both workers connect before the clock starts
        with tenant_context(tenant):
            cpu_before = _cpu_seconds([w.pid for w in workers])
            started = time.perf_counter()
            run = statement_run_start(
                tenant=tenant,
                user=None,
                period_kind="monthly",
                period_start=PERIOD_START,
                period_end=PERIOD_END,
            )
            issued = IssuedStatement.objects.filter(run=run).count
            statement_workers.wait_for(
                lambda: issued() >= run.total,
                timeout=max(300.0, run.total * 0.5),
                what=f"the {run.total} statements of run {run.pk} on {BROKER}",
                workers=workers,
                progress=lambda: f"{issued()} issued",
                interval=0.2,
            )
            elapsed = time.perf_counter() - started
            cpu = _cpu_seconds([w.pid for w in workers]) - cpu_before
            print(
                f"   (workers used {cpu:.1f} CPU-s in {elapsed:.1f} s: "
                f"{cpu / run.total * 1000:.1f} ms of CPU per statement, the database's not counted)"
            )
            return run.total / elapsed
    finally:
        for worker in workers:
            statement_workers.worker_stop(worker)
        statement_workers.broker_flush(BROKER)


def _html(statement, brand) -> str:
    import font_roboto

    from branding.statements.layout import money, statement_sections

    font = Path(font_roboto.font_directory) / "Roboto-Regular.ttf"
    parts = [
        "<html><head><style>",
        f"@font-face {{ font-family: Brand; src: url('file://{font}'); }}",
        "@page { size: A4; margin: 37mm 15mm 29mm 15mm;",
        "  @top-left { content: '" + brand.name + "'; color: " + brand.primary_colour + "; }",
        "  @bottom-left { content: '" + (brand.footer or brand.name) + "'; }",
        "  @bottom-right { content: 'Page ' counter(page) ' of ' counter(pages); } }",
        "body { font-family: Brand; font-size: 7pt; color: " + brand.text_colour + "; }",
        "h2 { color: " + brand.primary_colour + "; font-size: 11pt; }",
        "table { width: 100%; border-collapse: collapse; }",
        "th { background: " + brand.primary_colour + "; color: white; text-align: left; }",
        "td, th { padding: 1.5pt 2pt; border-bottom: 0.25pt solid #ddd; }",
        "thead { display: table-header-group; }",
        "</style></head><body>",
    ]
    for section in statement_sections(statement):
        parts.append(f"<h2>{section.title}</h2><table><thead><tr>")
        parts.extend(f"<th>{c.name}</th>" for c in section.columns)
        parts.append("</tr></thead><tbody>")
        for row in section.rows:
            parts.append("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>")
        parts.append("</tbody></table>")
    if brand.legal_texts:  # the disclosures and closing line the PDF prints too
        parts.append("<h2>Disclosures</h2>")
        parts.extend(f"<p>{text}</p>" for text in brand.legal_texts)
    parts.append(
        f"<p>Generated {statement.generated_at:%Y-%m-%d %H:%M} UTC. Ending value "
        f"{money(statement.nav_change.ending_value)} {statement.account.base_currency}.</p>"
    )
    parts.append("</body></html>")
    return "".join(parts)


def _weasyprint_ratio() -> float:
    from weasyprint import HTML

    from branding.statements.pdf import statement_pdf
    from tests.support.statements import BRAND, statement_make

    statement = statement_make(trades=40)  # two pages
    statement_pdf(statement, BRAND)  # font registration and imports outside the clock
    html = _html(statement, BRAND)
    HTML(string=html).write_pdf()
    rounds = 10
    started = time.perf_counter()
    for _ in range(rounds):
        statement_pdf(statement, BRAND)
    ours = (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    for _ in range(rounds):
        HTML(string=html).write_pdf()
    theirs = (time.perf_counter() - started) / rounds
    print(f"   (ReportLab {ours * 1000:.1f} ms, WeasyPrint {theirs * 1000:.1f} ms per statement)")
    return theirs / ours


def _flex_trades_per_s() -> float:
    from branding.statements.flex_xml import statements_flex_write
    from tests.support.statements import statement_make, trade_rows

    def peak_mb(trades: int) -> tuple[float, float]:
        statement = statement_make(trades=0)
        object.__setattr__(statement, "trades", trade_rows(trades))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "flex.xml"
            tracemalloc.start()
            started = time.perf_counter()
            with open(path, "wb") as out:
                statements_flex_write(out, [statement], count=1)
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        return elapsed, peak / 2**20

    _, small_peak = peak_mb(FLEX_TRADES // 10)
    _, peak = peak_mb(FLEX_TRADES)
    print(  # the traced peak is also slower; the rate below is measured without tracing
        f"   (Python heap peak: {small_peak:.2f} MB at {FLEX_TRADES // 10:,} trades, "
        f"{peak:.2f} MB at {FLEX_TRADES:,} trades)"
    )
    statement = statement_make(trades=0)
    object.__setattr__(statement, "trades", trade_rows(FLEX_TRADES))
    with tempfile.TemporaryDirectory() as folder, open(Path(folder) / "f.xml", "wb") as out:
        started, cpu_started = time.perf_counter(), time.process_time()
        statements_flex_write(out, [statement], count=1)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(  # on a busy machine the wall-clock rate also measures the wait for a core
        f"   ({FLEX_TRADES:,} trades in {elapsed:.2f} s wall, {cpu:.2f} s of CPU: "
        f"{FLEX_TRADES / cpu:,.0f} trades per CPU-second)"
    )
    return FLEX_TRADES / elapsed


def run() -> dict[str, float]:
    results = {
        "statements_vs_weasyprint_ratio": round(_weasyprint_ratio(), 2),
        "flex_export_trades_per_s": round(_flex_trades_per_s()),
    }
    tenant = _tenant()
    started = time.perf_counter()
    _books(tenant, STATEMENTS)
    print(f"   ({STATEMENTS:,} accounts booked in {time.perf_counter() - started:.0f} s)")
    results["statements_per_s"] = round(_statements_per_s(tenant), 1)
    print(f"   (statements_per_s measured over {STATEMENTS:,} statements, 2 workers)")
    return results
