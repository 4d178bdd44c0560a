from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ledger.errors import ImportRefused
from ledger.services.instruments import instrument_rows_csv, instruments_import
from ledger.services.market import fx_rates_load, price_rows_csv, prices_load, rate_rows_csv


class Command(BaseCommand):
    help = (
        "Load market data from a CSV file: `prices` (date, close, conid or symbol [, exchange, "
        "currency]), `fx` (date, from_currency, to_currency, rate; or date, currency, "
        "usd_per_unit) or `instruments` (symbol, currency, asset_class, conid, exchange, isin, "
        "...). A file with a bad row loads nothing and every bad row is listed (exit 1)."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=("prices", "fx", "instruments"))
        parser.add_argument("path", type=Path)

    def handle(self, *args, kind: str, path: Path, **options):
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open(newline="", encoding="utf-8") as stream:
                if kind == "prices":
                    written = prices_load(rows=price_rows_csv(stream)).written
                    summary = f"{written} close(s) loaded."
                elif kind == "fx":
                    written = fx_rates_load(rows=rate_rows_csv(stream)).written
                    summary = f"{written} FX rate(s) loaded."
                else:
                    result = instruments_import(rows=instrument_rows_csv(stream), source="csv")
                    summary = (
                        f"{result.created} instrument(s) created, {result.updated} updated, "
                        f"{result.unchanged} unchanged."
                    )
        except ImportRefused as refused:
            for number, message in refused.row_errors:
                self.stderr.write(f"row {number}: {message}")
            raise CommandError(
                f"Import refused, nothing loaded: {len(refused.row_errors)} bad row(s)."
            ) from None
        self.stdout.write(self.style.SUCCESS(summary))
