"""Ledger figures: bulk execution import (rate, ratio to a raw COPY, peak memory for 1,000,000
executions), valuation of an account with 1,000 positions and of a master with 1,000 subs,
and the nightly NAV snapshot of 10,000 accounts.

`import_vs_copy_ratio` = import rate / rate of a plain COPY of the same CSV rows into a bare
table (no indexes), measured in the same run; 1.0 would be "as fast as COPY".
`import_1m_peak_rss_mb` is the peak RSS of a separate process that imports the 1,000,000-row
CSV (streamed, so memory stays flat)."""

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

FIGURES = (
    "import_executions_per_s",
    "margin_monitor_after_import_s",
    "import_vs_copy_ratio",
    "import_1m_peak_rss_mb",
    "valuation_1000_positions_ms",
    "valuation_master_1000_subs_ms",
    "nav_snapshot_10k_accounts_s",
)
IMPORT_ROWS = int(os.environ.get("BENCH_LEDGER_IMPORT_ROWS", "100000"))
BIG_IMPORT_ROWS = int(os.environ.get("BENCH_LEDGER_BIG_ROWS", "1000000"))
NAV_ACCOUNTS = 10_000
DAY = date(2026, 3, 2)


def _tenant():
    from tenants.models import Tenant
    from tenants.services import tenant_provision

    tenant = Tenant.objects.filter(schema_name="bench_ledger").first()
    return tenant or tenant_provision(
        name="Bench Ledger",
        schema_name="bench_ledger",
        domain="bench-ledger.test",
        security_officer_email="so@bench-ledger.test",
    )


def _accounts(tenant, count: int, *, prefix="U", kind="individual", parent=None, margin="reg_t"):
    from ledger.models import Account
    from ledger.services import account_number_next

    numbers = account_number_next(prefix=prefix, count=count)
    return Account.objects.bulk_create(
        Account(
            tenant=tenant,
            number=n,
            title=f"Bench {n}",
            account_type=kind,
            margin_type=margin,
            parent=parent,
        )
        for n in numbers
    )


def _instruments(count: int, tag: str):
    from ledger.models import Instrument, Price

    made = Instrument.objects.bulk_create(
        Instrument(symbol=f"{tag}{i:05d}", asset_class="STK", currency="USD") for i in range(count)
    )
    rng = random.Random(count)
    Price.objects.bulk_create(
        [
            Price(instrument=inst, date=day, close=Decimal(rng.randint(1000, 50000)) / 100)
            for inst in made
            for day in (DAY - timedelta(days=1), DAY)
        ],
        batch_size=5000,
    )
    return made


def _csv(path: Path, rows: int, accounts, instruments, tag: str) -> None:
    rng = random.Random(rows)
    with path.open("w") as out:
        out.write(
            "execution_id,account,symbol,side,quantity,price,trade_date,settle_date,"
            "commission,fees,currency\n"
        )
        for i in range(rows):
            account = accounts[rng.randrange(len(accounts))].number
            symbol = instruments[rng.randrange(len(instruments))].symbol
            side = "BUY" if rng.random() < 0.55 else "SELL"
            out.write(
                f"{tag}{i},{account},{symbol},{side},{rng.randint(1, 500)},"
                f"{rng.randint(1000, 50000) / 100},{DAY},,1.00,,USD\n"
            )


def _import_rate(path: Path, rows: int) -> tuple[float, float]:
    """(executions booked per second, seconds the margin monitor then takes over the accounts
    booked). The import alone is timed: in production the monitor (`ledger.hooks` subscribers,
    trading's margin monitor) runs after commit as a Celery task on a worker, while these
    settings would run it eagerly inside each batch's commit. It is timed once, afterwards, over
    every account the import booked to, as its worker would run it."""
    from ledger import hooks
    from ledger.imports import executions_import_csv

    subscribers = list(hooks._booked)
    touched: set[int] = set()
    hooks._booked[:] = [touched.update]
    try:
        started = time.perf_counter()
        with path.open() as stream:
            result = executions_import_csv(stream=stream)
        elapsed = time.perf_counter() - started
    finally:
        hooks._booked[:] = subscribers
    assert result.booked == rows, result
    return rows / elapsed, margin_monitor_after(touched)


def margin_monitor_after(touched: set[int]) -> float:
    """Seconds of what the margin monitor does after an import's commit over the accounts it
    booked to: the after-commit hook finds the Reg T accounts among them
    (`accounts_to_monitor`), and its task monitors them tenant by tenant."""
    from trading.margin_monitor import accounts_to_monitor
    from trading.margin_tasks import margin_monitor_task

    started = time.perf_counter()
    by_tenant = accounts_to_monitor(
        account_ids=sorted(touched), instrument_ids=[], everything=False
    )
    if by_tenant:
        margin_monitor_task(
            accounts={str(tenant_id): ids for tenant_id, ids in by_tenant.items()},
            booked=sorted(touched),
        )
    return time.perf_counter() - started


def _copy_rate(path: Path, rows: int) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_execution_copy (execution_id text, account text, symbol text, "
            "side text, quantity numeric, price numeric, trade_date date, settle_date date, "
            "commission numeric, fees numeric, currency text)"
        )
        started = time.perf_counter()
        with (
            path.open() as stream,
            cursor.copy(
                "COPY bench_execution_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as copy,
        ):
            while block := stream.read(1 << 20):
                copy.write(block)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_execution_copy")
    return rows / elapsed


def _big_import_rss(path: Path, rows: int) -> float:
    """Import in a child process on the bench database; its peak RSS in MB."""
    from django.db import connection

    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        if not db.get("PASSWORD")
        else f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    env["DJANGO_SETTINGS_MODULE"] = "brokerportal.settings.test"
    child = subprocess.run(
        [sys.executable, "-m", "bench.ledger_import_child", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["booked"] == rows, report
    return report["peak_rss_mb"]


def _analyze() -> None:
    """Fresh statistics, as autovacuum would have after a bulk load."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "ledger_position",
            "ledger_price",
            "ledger_cashbalance",
            "ledger_posting",
            "ledger_journalentry",
            "ledger_account",
            "ledger_instrument",
            "ledger_fxrate",
            "ledger_taxlot",
        ):
            cursor.execute(f"ANALYZE {table}")


def _timed_ms(function, repeat: int = 7) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _valuation_figures(tenant) -> dict[str, float]:
    from ledger.imports.executions_bulk import ExecutionBooking, chunk_book
    from ledger.selectors import account_valuation
    from ledger.services import account_open

    instruments = _instruments(1000, "VAL")
    holder = _accounts(tenant, 1)[0]

    def booking(account, inst, n):
        return ExecutionBooking(
            execution_id=f"val-{account.number}-{n}",
            account_id=account.pk,
            instrument_id=inst.pk,
            currency="USD",
            multiplier=Decimal(1),
            quantity=Decimal(10 + n % 90),
            price=Decimal(100),
            trade_date=DAY,
            settle_date=DAY,
            commission=Decimal(1),
            fees=Decimal(0),
        )

    chunk_book([booking(holder, inst, n) for n, inst in enumerate(instruments)])
    _analyze()
    single = _timed_ms(lambda: account_valuation(tenant=tenant, account=holder))

    master = account_open(tenant=tenant, title="Bench master", account_type="master")
    subs = _accounts(tenant, 1000, kind="sub", parent=master)
    chunk_book(
        [
            booking(sub, instruments[(i * 7 + k) % 1000], k)
            for i, sub in enumerate(subs)
            for k in range(3)
        ]
    )
    consolidated = _timed_ms(lambda: account_valuation(tenant=tenant, account=master))
    return {
        "valuation_1000_positions_ms": round(single, 2),
        "valuation_master_1000_subs_ms": round(consolidated, 2),
    }


def _nav_figure(tenant) -> float:
    from ledger.imports.executions_bulk import ExecutionBooking, chunk_book
    from ledger.journal.bulk import BulkCashEntry, CashLine, cash_entries_bulk_book
    from ledger.platform import BANK, platform_account
    from ledger.services import nav_snapshot_take

    accounts = _accounts(tenant, NAV_ACCOUNTS)
    instruments = _instruments(50, "NAV")
    bank = platform_account(BANK).pk
    cash_entries_bulk_book(
        [
            BulkCashEntry(
                "deposit",
                DAY,
                f"nav-dep-{a.pk}",
                (CashLine(a.pk, "USD", Decimal(100000)), CashLine(bank, "USD", Decimal(-100000))),
            )
            for a in accounts
        ]
    )
    chunk_book(
        [
            ExecutionBooking(
                execution_id=f"nav-{a.pk}-{k}",
                account_id=a.pk,
                instrument_id=instruments[(i + k * 11) % 50].pk,
                currency="USD",
                multiplier=Decimal(1),
                quantity=Decimal(10),
                price=Decimal(100),
                trade_date=DAY,
                settle_date=DAY,
                commission=Decimal(1),
                fees=Decimal(0),
            )
            for i, a in enumerate(accounts)
            for k in range(3)
        ]
    )
    ids = [a.pk for a in accounts]
    _analyze()
    started = time.perf_counter()
    written = nav_snapshot_take(on=DAY, account_ids=ids)
    elapsed = time.perf_counter() - started
    assert written == NAV_ACCOUNTS, written
    return round(elapsed, 2)


def run() -> dict[str, float]:
    tenant = _tenant()
    accounts = _accounts(tenant, 1000)
    instruments = _instruments(50, "IMP")
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        small, big = Path(folder, "executions.csv"), Path(folder, "executions_1m.csv")
        _csv(small, IMPORT_ROWS, accounts, instruments, "S")
        _analyze()
        copy_rate = _copy_rate(small, IMPORT_ROWS)
        import_rate, monitor_s = _import_rate(small, IMPORT_ROWS)
        figures["import_executions_per_s"] = round(import_rate)
        figures["margin_monitor_after_import_s"] = round(monitor_s, 2)
        figures["import_vs_copy_ratio"] = round(import_rate / copy_rate, 4)
        _csv(big, BIG_IMPORT_ROWS, accounts, instruments, "B")
        figures["import_1m_peak_rss_mb"] = round(_big_import_rss(big, BIG_IMPORT_ROWS), 1)
    figures.update(_valuation_figures(tenant))
    figures["nav_snapshot_10k_accounts_s"] = _nav_figure(tenant)
    return figures
