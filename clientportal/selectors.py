"""Reads of the client portal. Ledger figures come from ledger selectors, scoped by the tenant
and by the accounts the caller already obtained through `ledger.access`."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from ledger.domain.valuation import PositionValue, Valuation
from ledger.models import Account
from ledger.selectors import (
    RecentEntry,
    cash_balances_for,
    entries_recent_for,
    ledger_state_for,
    portfolio_valuation,
)

from .models import DepositNotice, Message, MessageThread, WithdrawalRequest

ZERO = Decimal(0)
# Bounds staleness where the cache is per process (no REDIS_URL) and another worker changed it.
UNREAD_CACHE_SECONDS = 60
# Bounds staleness after an in-place price correction made without the ORM (raw SQL).
FIGURES_CACHE_SECONDS = 10 * 60
# Figures are cached pickled, naming the modules of their classes (`ledger.domain.valuation`):
# a change of those modules or fields changes this, so entries of the old shape are not read.
FIGURES_LAYOUT = "2"


# --- cash -----------------------------------------------------------------------------------
def withdrawal_pending_total(*, account: Account, currency: str) -> Decimal:
    total = WithdrawalRequest.objects.filter(
        account_id=account.pk, currency=currency, status=WithdrawalRequest.Status.PENDING
    ).aggregate(total=Sum("amount"))["total"]
    return total or ZERO


def withdrawable_cash(*, tenant, account: Account, currency: str) -> Decimal:
    """Settled cash less pending debits (ledger) less withdrawal requests awaiting approval."""
    rows = cash_balances_for(tenant=tenant, account_ids=[account.pk])
    ledger_withdrawable = sum((r.withdrawable for r in rows if r.currency == currency), ZERO)
    pending = withdrawal_pending_total(account=account, currency=currency)
    return max(ZERO, ledger_withdrawable - pending)


def deposit_notices_of_client(*, user):
    """The client's own deposit notices with their status and, if rejected, the reason."""
    return (
        DepositNotice.objects.filter(notified_by=user)
        .select_related("account")
        .order_by("-created_at", "-id")
    )


# --- valuation ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PositionRow:
    account_number: str
    value: PositionValue

    @property
    def unrealized_pct(self) -> Decimal | None:
        if not self.value.cost:
            return None
        return self.value.unrealized_pnl / abs(self.value.cost) * 100


@dataclass(frozen=True)
class PortalValuation:
    total: Valuation
    positions: list[PositionRow]


def _portal_valuation(*, tenant, accounts: list[Account]) -> PortalValuation:
    """Several accounts are consolidated in the first one's base currency."""
    valuation = portfolio_valuation(tenant=tenant, account_ids=accounts)
    rows = [
        PositionRow(a.number, p)
        for a in valuation.accounts
        for p in valuation.by_account[a.pk].positions
    ]
    return PortalValuation(valuation.total, rows)


def figures_cache_key(kind: str, *, tenant, accounts: list[Account]) -> str:
    """The ledger state the figures are computed from: the accounts (and the fields valuation
    reads from them), their ledger versions (bumped by every posting), the newest price and FX
    rows, in-place market corrections and the day (closes "as of today", settlement). The cache
    prefixes keys with the tenant's schema; the tenant id is in the key as well."""
    parts = [
        kind,
        str(tenant.pk),
        timezone.localdate().isoformat(),
        *(f"{a.pk}/{a.number}/{a.base_currency}/{a.margin_type}" for a in accounts),
        ledger_state_for(tenant=tenant, account_ids=accounts),
    ]
    digest = hashlib.blake2b("|".join(parts).encode(), digest_size=20).hexdigest()
    return f"clientportal:figures:{FIGURES_LAYOUT}:{kind}:{digest}"


def _cached(kind: str, *, tenant, accounts: list[Account], compute, key: str | None = None):
    if not settings.PORTAL_FIGURES_CACHE:
        return compute()
    key = key or figures_cache_key(kind, tenant=tenant, accounts=accounts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, FIGURES_CACHE_SECONDS)
    return value


def portal_valuation(*, tenant, accounts: list[Account]) -> PortalValuation:
    """Each account valued by the ledger (the same computation as `account_valuation`, for
    accounts the caller obtained through `ledger.access`), several consolidated in the first
    account's base currency. A fixed number of queries whatever the number of positions;
    cached until the accounts' ledger state or the market changes (`figures_cache_key`)."""
    return _cached(
        "valuation",
        tenant=tenant,
        accounts=accounts,
        compute=lambda: _portal_valuation(tenant=tenant, accounts=accounts),
    )


@dataclass(frozen=True)
class DashboardFigures:
    total: Valuation
    top_positions: list[PositionRow]
    position_count: int
    recent: list[RecentEntry]
    # (asset class, value in the base currency), largest first; cash included when positive
    allocation: list[tuple[str, Decimal]] = dataclasses.field(default_factory=list)


def allocation_by_asset_class(valuation: PortalValuation) -> list[tuple[str, Decimal]]:
    """Absolute market value per asset class and the cash (when positive), in the base
    currency, largest first: what the dashboard's allocation ring shows."""
    totals: dict[str, Decimal] = {}
    for row in valuation.positions:
        cls = row.value.asset_class
        totals[cls] = totals.get(cls, ZERO) + abs(row.value.market_value)
    if valuation.total.cash > 0:
        totals["CASH"] = totals.get("CASH", ZERO) + valuation.total.cash
    return sorted(((k, v) for k, v in totals.items() if v), key=lambda kv: (-kv[1], kv[0]))


def dashboard_figures_key(*, tenant, accounts: list[Account], top: int, recent: int) -> str | None:
    """The cache key of `dashboard_figures` (None where figures are not cached): the page
    caches its rendered figures under it too."""
    if not settings.PORTAL_FIGURES_CACHE:
        return None
    return figures_cache_key(f"dashboard:{top}:{recent}", tenant=tenant, accounts=accounts)


def dashboard_figures(
    *, tenant, accounts: list[Account], top: int, recent: int, key: str | None = None
) -> DashboardFigures:
    """What the dashboard shows of the ledger: the totals, the `top` positions by absolute
    market value, and the `recent` latest entries. Cached like `portal_valuation`, small: the
    dashboard neither loads nor renders every position."""

    def compute() -> DashboardFigures:
        valuation = _portal_valuation(tenant=tenant, accounts=accounts)
        ranked = sorted(valuation.positions, key=lambda r: abs(r.value.market_value), reverse=True)
        return DashboardFigures(
            # Without its positions: the totals are all the dashboard reads of it.
            total=dataclasses.replace(valuation.total, positions=()),
            top_positions=ranked[:top],
            position_count=len(valuation.positions),
            recent=entries_recent_for(tenant=tenant, account_ids=accounts, limit=recent),
            allocation=allocation_by_asset_class(valuation),
        )

    return _cached(
        f"dashboard:{top}:{recent}", tenant=tenant, accounts=accounts, compute=compute, key=key
    )


# --- messages -------------------------------------------------------------------------------
def _unread_for_client() -> Q:
    return Q(from_staff=True) & (
        Q(thread__client_read_at__isnull=True) | Q(sent_at__gt=F("thread__client_read_at"))
    )


def _unread_for_staff() -> Q:
    return Q(from_staff=False) & (
        Q(thread__staff_read_at__isnull=True) | Q(sent_at__gt=F("thread__staff_read_at"))
    )


def unread_cache_key(user_id: int) -> str:
    return f"clientportal:unread:{user_id}"


def unread_count_client(*, user) -> int:
    """Shown in the navigation of every page, so cached per user (tenant-aware cache keys);
    the message services drop the entry whenever the count can change."""
    key = unread_cache_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Message.objects.filter(_unread_for_client(), thread__client_id=user.pk).count()
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return count


def unread_count_staff() -> int:
    return Message.objects.filter(_unread_for_staff()).count()


def threads_for_client(*, user):
    unread = Count("messages", filter=Q(messages__from_staff=True) & _thread_unread("client"))
    return MessageThread.objects.filter(client_id=user.pk).annotate(unread=unread)


def threads_for_staff():
    unread = Count("messages", filter=Q(messages__from_staff=False) & _thread_unread("staff"))
    return MessageThread.objects.select_related("client").annotate(unread=unread)


def _thread_unread(side: str) -> Q:
    read_at = f"{side}_read_at"
    return Q(**{f"{read_at}__isnull": True}) | Q(messages__sent_at__gt=F(read_at))


def thread_messages(*, thread: MessageThread):
    return thread.messages.select_related("sender").order_by("sent_at", "id")


# --- staff queues ---------------------------------------------------------------------------
def withdrawal_requests_for_staff(*, status: str | None = WithdrawalRequest.Status.PENDING):
    qs = WithdrawalRequest.objects.select_related("account", "requested_by", "decided_by")
    return qs.filter(status=status) if status else qs
