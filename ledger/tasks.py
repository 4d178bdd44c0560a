"""Celery tasks of the ledger (public schema, no tenant): thin calls into `ledger.services.nav`."""

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from ledger.market_providers import market_data_fetch_day
from ledger.services.nav import nav_snapshot_take, nav_snapshots_rebuild


@shared_task(acks_late=True)
def nav_snapshot_nightly(on: str | None = None) -> int:
    """Snapshot the day just closed (idempotent: the day's rows are replaced)."""
    day = date.fromisoformat(on) if on else timezone.localdate() - timedelta(days=1)
    return nav_snapshot_take(on=day)


@shared_task(acks_late=True)
def nav_history_rebuild(start: str, end: str) -> int:
    return nav_snapshots_rebuild(start=date.fromisoformat(start), end=date.fromisoformat(end))


@shared_task(acks_late=True)
def market_data_fetch(on: str | None = None) -> int:
    """The day's closes and FX rates from every configured provider (`MARKET_DATA_PROVIDERS`);
    loading a day again replaces its values, so a retried task is harmless."""
    day = date.fromisoformat(on) if on else timezone.localdate() - timedelta(days=1)
    results = market_data_fetch_day(on=day)
    return sum(prices.written + rates.written for prices, rates in results.values())
