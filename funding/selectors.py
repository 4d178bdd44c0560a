"""Reads of the funding desk: the deposit notices to credit (and the stale ones, for the
exception reports), the journals awaiting approval, and the tenant's funding settings. Each
takes `tenant=` and runs in the tenant's schema."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from clientportal.models import DepositNotice
from funding.models import DepositCredit, FundingSettings, Journal

OPEN_NOTICE = (DepositNotice.Status.PENDING, DepositNotice.Status.PARTIAL)


def funding_settings(*, tenant) -> FundingSettings:
    return FundingSettings.load()


def deposit_notices_for_desk(*, tenant, status: str = "open") -> QuerySet[DepositNotice]:
    """`open` (awaiting the money or partly credited), one status, or `all`; oldest first for
    the open ones (first come, first credited), newest first otherwise."""
    notices = DepositNotice.objects.filter(account__tenant_id=tenant.pk).select_related(
        "account", "notified_by", "decided_by"
    )
    if status == "open":
        return notices.filter(status__in=OPEN_NOTICE).order_by("created_at", "id")
    if status in DepositNotice.Status.values:
        notices = notices.filter(status=status)
    return notices.order_by("-created_at", "-id")


def _stale_before(*, tenant, as_of: date | datetime) -> datetime:
    if not isinstance(as_of, datetime):
        as_of = timezone.make_aware(datetime.combine(as_of, time.max))
    days = funding_settings(tenant=tenant).deposit_stale_days
    return as_of - timedelta(days=days)


def deposit_notices_stale(*, tenant, as_of: date | datetime) -> QuerySet[DepositNotice]:
    """Deposit notices still not (fully) credited nor rejected `deposit_stale_days` (Funding
    settings) after they were sent, as of `as_of` (a day: its end; or a moment), oldest
    first. One query."""
    return (
        deposit_notices_for_desk(tenant=tenant, status="open")
        .filter(created_at__lt=_stale_before(tenant=tenant, as_of=as_of))
        .order_by("created_at", "id")
    )


def deposit_notices_stale_count(*, tenant, as_of: date | datetime) -> int:
    return deposit_notices_stale(tenant=tenant, as_of=as_of).count()


def deposit_notices_open_count(*, tenant) -> int:
    return deposit_notices_for_desk(tenant=tenant, status="open").count()


def deposit_credits_for(*, notice: DepositNotice) -> QuerySet[DepositCredit]:
    return notice.credits.select_related("credited_by").order_by("credited_at", "id")


def journals_for_desk(*, tenant, status: str = Journal.Status.PENDING) -> QuerySet[Journal]:
    """Journals with one status (default: awaiting approval, oldest first) or `all`."""
    journals = Journal.objects.filter(from_account__tenant_id=tenant.pk).select_related(
        "from_account", "to_account", "instrument", "maker", "approver"
    )
    if status == Journal.Status.PENDING:
        return journals.filter(status=status).order_by("created_at", "id")
    if status in Journal.Status.values:
        journals = journals.filter(status=status)
    return journals.order_by("-created_at", "-id")


def journals_awaiting_approval_count(*, tenant) -> int:
    return journals_for_desk(tenant=tenant).count()
