"""Flex import figures, beside the CSV import's (`bench_ledger`): `import_flex_trades_per_s`
books a whole Flex activity statement file of 100,000 trades (100 statements of 1,000 trades,
one account each, 50 contracts) from a fresh ledger, the instruments created by the import
itself, and asserts every trade was booked.

As in `bench_ledger`, the import alone is timed: the margin monitor its postings trigger runs
after commit in a worker in production (eagerly under these settings), so it is timed
afterwards over the accounts booked to, as `import_flex_margin_monitor_after_import_s`. The
cache client is connected before the clock starts (a running process has it).

`import_flex_peak_rss_mb` is the peak RSS of a separate process importing a second file of the
same size, and `import_flex_rss_growth_mb` how far the import took it above the process's RSS
just before the import (Django loaded): the file is streamed and trades are booked in chunks, so
the growth is bounded by a chunk, not by the file."""

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIGURES = (
    "import_flex_trades_per_s",
    "import_flex_margin_monitor_after_import_s",
    "import_flex_peak_rss_mb",
    "import_flex_rss_growth_mb",
)
TRADES = int(os.environ.get("BENCH_FLEX_TRADES", "100000"))
PER_STATEMENT = 1000
CONTRACTS = 50


def flex_file_write(path: Path, *, trades: int, tag: str, conid_base: int) -> list[str]:
    """A Flex query response of `trades` trades; returns the Flex account ids."""
    rng = random.Random(trades)
    accounts = []
    with path.open("w") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write('<FlexQueryResponse queryName="bench" type="AF">\n<FlexStatements>\n')
        for s in range(0, trades, PER_STATEMENT):
            flex_id = f"{tag}{s // PER_STATEMENT:05d}"
            accounts.append(flex_id)
            out.write(
                f'<FlexStatement accountId="{flex_id}" fromDate="20260302" toDate="20260302">\n'
                "<Trades>\n"
            )
            for i in range(s, min(s + PER_STATEMENT, trades)):
                conid = conid_base + rng.randrange(CONTRACTS)
                quantity = rng.randint(1, 500) * (1 if rng.random() < 0.55 else -1)
                out.write(
                    f'<Trade accountId="{flex_id}" currency="USD" assetCategory="STK" '
                    f'symbol="{tag}{conid}" conid="{conid}" listingExchange="NYSE" '
                    f'multiplier="1" tradeID="{tag}T{i}" tradeDate="20260302" '
                    f'settleDateTarget="20260303" transactionType="ExchTrade" '
                    f'quantity="{quantity}" tradePrice="{rng.randint(1000, 50000) / 100}" '
                    f'ibCommission="-1" ibCommissionCurrency="USD" '
                    f'buySell="{"BUY" if quantity > 0 else "SELL"}" ibExecID="{tag}E{i}" '
                    f'levelOfDetail="EXECUTION" />\n'
                )
            out.write("</Trades>\n</FlexStatement>\n")
        out.write("</FlexStatements>\n</FlexQueryResponse>\n")
    return accounts


def _accounts_for(flex_ids: list[str]) -> None:
    from bench.bench_ledger import _tenant
    from ledger.models import Account
    from ledger.services import account_number_next

    tenant = _tenant()
    numbers = account_number_next(prefix="F", count=len(flex_ids))
    Account.objects.bulk_create(
        Account(
            tenant=tenant,
            number=number,
            title=f"Bench Flex {flex_id}",
            account_type="individual",
            margin_type="reg_t",
            external_ref=flex_id,
        )
        for number, flex_id in zip(numbers, flex_ids, strict=True)
    )


def _rss(path: Path) -> dict:
    from django.db import connection

    db = connection.settings_dict
    env = dict(os.environ)
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    env["DJANGO_SETTINGS_MODULE"] = "brokerportal.settings.test"
    child = subprocess.run(
        [sys.executable, "-m", "bench.flex_import_child", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["booked"] == TRADES, report
    return report


def _import_timed(path: Path) -> tuple[float, float]:
    """(trades booked per second, seconds the margin monitor then takes over the accounts
    booked), as `bench_ledger._import_rate` times the CSV import."""
    from django.core.cache import caches

    from bench.bench_ledger import margin_monitor_after
    from ledger import hooks
    from ledger.imports.flex import flex_import

    caches["ledger"].get("bench:warm")
    subscribers = list(hooks._booked)
    touched: set[int] = set()
    hooks._booked[:] = [touched.update]
    try:
        started = time.perf_counter()
        result = flex_import(source=path)
        elapsed = time.perf_counter() - started
    finally:
        hooks._booked[:] = subscribers
    assert result.booked == TRADES, result
    return TRADES / elapsed, margin_monitor_after(touched)


def run() -> dict[str, float]:
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "flex.xml")
        _accounts_for(flex_file_write(path, trades=TRADES, tag="FB", conid_base=91_000_000))
        rate, monitor = _import_timed(path)
        figures["import_flex_trades_per_s"] = round(rate)
        figures["import_flex_margin_monitor_after_import_s"] = round(monitor, 2)
        rss = Path(folder, "flex_rss.xml")
        _accounts_for(flex_file_write(rss, trades=TRADES, tag="FR", conid_base=92_000_000))
        report = _rss(rss)
        figures["import_flex_peak_rss_mb"] = round(report["peak_rss_mb"], 1)
        figures["import_flex_rss_growth_mb"] = round(
            report["peak_rss_mb"] - report["before_rss_mb"], 1
        )
    return figures
