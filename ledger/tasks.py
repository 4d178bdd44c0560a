"""Celery tasks of the ledger (public schema, no tenant): thin calls into `ledger.services.nav`."""

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from ledger.services.nav import nav_snapshot_take, nav_snapshots_rebuild


@shared_task(acks_late=True)
def nav_snapshot_nightly(on: str | None = None) -> int:
    """Snapshot the day just closed (idempotent: the day's rows are replaced)."""
    day = date.fromisoformat(on) if on else timezone.localdate() - timedelta(days=1)
    return nav_snapshot_take(on=day)


@shared_task(acks_late=True)
def nav_history_rebuild(start: str, end: str) -> int:
    return nav_snapshots_rebuild(start=date.fromisoformat(start), end=date.fromisoformat(end))
