"""Market data providers: one class per source of closes and FX rates, so a deployment plugs
in its vendor. `MARKET_DATA_PROVIDERS` (settings) lists the classes by dotted path with their
options; Celery beat runs `ledger.tasks.market_data_fetch` after the close, which asks each
provider for the day and loads what it returns through `ledger.services.market`.

A provider returns rows and does no booking; the loaders validate them like any file. The
shipped `CsvDirectoryProvider` reads files a vendor drops in a folder; a network provider
subclasses `MarketDataProvider` the same way (no network source is called in tests)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from ledger.services.market import (
    MarketResult,
    PriceRow,
    RateRow,
    fx_rates_load,
    price_rows_csv,
    prices_load,
    rate_rows_csv,
)


class MarketDataProvider:
    """A source of closes and FX rates for a day. Subclasses override `prices` and/or
    `rates`; each returns rows (or exceptions for rows it could not read)."""

    name = "provider"

    def __init__(self, **options):
        self.options = options

    def prices(self, *, on: date) -> list[PriceRow | Exception]:
        return []

    def rates(self, *, on: date) -> list[RateRow | Exception]:
        return []


class CsvDirectoryProvider(MarketDataProvider):
    """Reads `<directory>/prices-YYYY-MM-DD.csv` and `<directory>/fx-YYYY-MM-DD.csv` (the CSV
    layouts of `manage.py market_import`); a missing file is an empty day."""

    name = "csv-directory"

    def _read(self, kind: str, on: date, reader) -> list:
        path = Path(self.options["directory"]) / f"{kind}-{on.isoformat()}.csv"
        if not path.is_file():
            return []
        with path.open(newline="", encoding="utf-8") as stream:
            return list(reader(stream))

    def prices(self, *, on: date) -> list[PriceRow | Exception]:
        return self._read("prices", on, price_rows_csv)

    def rates(self, *, on: date) -> list[RateRow | Exception]:
        return self._read("fx", on, rate_rows_csv)


def providers_configured() -> list[MarketDataProvider]:
    return [
        import_string(entry["class"])(**entry.get("options", {}))
        for entry in getattr(settings, "MARKET_DATA_PROVIDERS", [])
    ]


def market_data_fetch_day(
    *, on: date, providers: list[MarketDataProvider] | None = None
) -> dict[str, tuple[MarketResult, MarketResult]]:
    """Load the day's closes and rates from every provider; provider name → (prices, rates)."""
    out = {}
    for provider in providers if providers is not None else providers_configured():
        out[provider.name] = (
            prices_load(rows=provider.prices(on=on)),
            fx_rates_load(rows=provider.rates(on=on)),
        )
    return out
