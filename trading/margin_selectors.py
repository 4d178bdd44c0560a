"""Reads of trading's margin records for staff (the desk's exception reports) and for the
account's own pages: open margin calls, the day's intraday deficits, pattern-day-trader
restrictions in force. One query each, tenant-scoped through the account."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from .margin_models import DayTradeRestriction, IntradayDeficit, MarginCall


def margin_calls_open_for(*, tenant) -> QuerySet[MarginCall]:
    return (
        MarginCall.objects.filter(account__tenant_id=tenant.pk, status=MarginCall.Status.OPEN)
        .select_related("account", "liquidation_confirmed_by")
        .order_by("deadline", "id")
    )


def intraday_deficits_for(*, tenant, on: date | None = None) -> QuerySet[IntradayDeficit]:
    """The deficits of day `on` (default today) not yet resolved."""
    return (
        IntradayDeficit.objects.filter(
            account__tenant_id=tenant.pk,
            trade_date=on or timezone.localdate(),
            resolved_at__isnull=True,
        )
        .select_related("account")
        .order_by("-max_amount", "id")
    )


def day_trade_restrictions_for(*, tenant) -> QuerySet[DayTradeRestriction]:
    return (
        DayTradeRestriction.objects.filter(account__tenant_id=tenant.pk, lifted_at__isnull=True)
        .select_related("account")
        .order_by("until", "id")
    )


def margin_call_for_account(*, account) -> MarginCall | None:
    """The account's open margin call (the account reached through `ledger.access`)."""
    return MarginCall.objects.filter(account=account, status=MarginCall.Status.OPEN).first()
