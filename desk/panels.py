"""The Broker Portal's home: per role, what waits today, each a count linking to its queue."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from wagtail.admin.ui.components import Component

from tenants.roles import (
    ADVISOR,
    COMPLIANCE_OFFICER,
    ONBOARDING_OFFICER,
    SECURITY_OFFICER,
    has_role,
)

# The open-exception count is computed set-based but over the whole tenant: kept for a few
# minutes so the home page stays fast (the exceptions page itself is always current).
EXCEPTION_COUNT_TTL_S = 300
REVIEWERS = (ONBOARDING_OFFICER, COMPLIANCE_OFFICER)
# The funding queue's screens, by URL name, first found wins; the withdrawals queue otherwise.
DEPOSIT_QUEUE_NAMES = ("funding_deposits", "funding_deposit_notices", "clientportal_staff_deposits")


@dataclass(frozen=True)
class Tile:
    code: str
    label: str
    count: int
    url: str
    alert: int = 0  # how many of them are late (shown in red)
    alert_label: str = ""


def _first_url(names, fallback: str) -> str:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return reverse(fallback)


# The journals' screens of the funding operations, by URL name, first found wins.
JOURNAL_NAMES = ("funding_journals", "funding_journal_create", "clientportal_staff_journals")


def named_url(names) -> str | None:
    """The first of the URL names that exists, or None while none does."""
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def deposit_queue_url() -> str:
    return _first_url(DEPOSIT_QUEUE_NAMES, "clientportal_staff_withdrawals")


def _applications_tile():
    from onboarding.models import Application

    waiting = Application.objects.filter(
        state__in=[Application.State.SUBMITTED, Application.State.IN_REVIEW]
    ).count()
    return Tile(
        "applications", "Applications to review", waiting, reverse("onboarding_admin:queue")
    )


def _blocks_tile(request):
    from allocations.models import AllocationSettings
    from allocations.selectors import block_is_exception, blocks_for

    cutoff = AllocationSettings.load(request_or_site=request).cutoff
    blocks = list(blocks_for(user=request.user, tenant=request.tenant, awaiting_only=True)[:500])
    late = sum(1 for b in blocks if block_is_exception(block=b, cutoff=cutoff))
    return Tile(
        "blocks",
        "Blocks awaiting allocation",
        len(blocks),
        reverse("allocations_blocks"),
        alert=late,
        alert_label="past cut-off",
    )


def _deposits_tile(request):
    from clientportal.models import DepositNotice

    from .exceptions import _deposit_pending

    pending = _deposit_pending(DepositNotice.objects.filter(account__tenant_id=request.tenant.pk))
    return Tile("deposits", "Deposit notices to credit", pending.count(), deposit_queue_url())


def _withdrawals_tile():
    from clientportal.selectors import withdrawal_requests_for_staff

    return Tile(
        "withdrawals",
        "Withdrawals to approve",
        withdrawal_requests_for_staff().count(),
        reverse("clientportal_staff_withdrawals"),
    )


def _messages_tile():
    from clientportal.selectors import unread_count_staff

    return Tile(
        "messages",
        "Unread client messages",
        unread_count_staff(),
        reverse("clientportal_staff_messages"),
    )


def _exceptions_tile(request):
    from .exceptions import exceptions_report, kinds_for

    kinds = kinds_for(request.user)
    # The kinds as a digest: their names together outgrew the 250 characters a cache key keeps.
    digest = hashlib.sha256(",".join(kinds).encode()).hexdigest()[:16]
    key = f"desk:exceptions-open:{digest}"
    count = cache.get(key)
    if count is None:
        count = exceptions_report(tenant=request.tenant, kinds=kinds).open_count()
        cache.set(key, count, EXCEPTION_COUNT_TTL_S)
    return Tile("exceptions", "Open exceptions", count, reverse("desk_exceptions"))


def _statements_tile(request):
    from branding.statements.selectors import runs_recent

    running = [p for p in runs_recent(tenant=request.tenant, limit=10) if not p.done]
    failing = sum(1 for p in running if p.failed)
    return Tile(
        "statements",
        "Statement runs in progress",
        len(running),
        reverse("branding_statement_runs"),
        alert=failing,
        alert_label="with failures",
    )


def tiles_for(request) -> list[Tile]:
    """The tiles of the user's roles (a superuser sees every one)."""
    user = request.user
    tiles = []
    if has_role(user, *REVIEWERS):
        tiles.append(_applications_tile())
    if has_role(user, ADVISOR):
        tiles.append(_blocks_tile(request))
    if has_role(user, ONBOARDING_OFFICER):
        tiles.append(_deposits_tile(request))
    if user.has_perm("clientportal.change_withdrawalrequest") or has_role(user, ONBOARDING_OFFICER):
        tiles.append(_withdrawals_tile())
    if has_role(user, ONBOARDING_OFFICER, COMPLIANCE_OFFICER, ADVISOR):
        tiles.append(_messages_tile())
    from .exceptions import kinds_for

    if kinds_for(user):
        tiles.append(_exceptions_tile(request))
    if user.has_perm("branding.view_statementrun"):
        tiles.append(_statements_tile(request))
    if has_role(user, SECURITY_OFFICER) and not tiles:
        tiles.append(_exceptions_tile(request))
    return tiles


class WorkQueuesPanel(Component):
    name = "work_queues"
    order = 50
    template_name = "desk/home_panel.html"

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context=None):
        return {"tiles": tiles_for(self.request), "accounts_url": reverse("desk_accounts")}
