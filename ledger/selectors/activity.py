"""The journal as a tenant sees it: its accounts' postings, activity rows (trades and cash
transactions) for a date range, the latest entries, and executions already booked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from ledger.models import JournalEntry, Posting
from ledger.selectors.accounts import Accounts, account_ids_scoped


def postings_for(*, tenant, account_ids: Accounts) -> QuerySet[Posting]:
    """The postings on the tenant's accounts among `account_ids` (never a contra leg on a
    platform account or another tenant's account)."""
    return Posting.objects.filter(
        account_id__in=account_ids_scoped(tenant=tenant, account_ids=account_ids)
    )


@dataclass(frozen=True)
class Activity:
    entry_id: int
    kind: str
    trade_date: date
    settle_date: date
    account_id: int
    account_number: str
    memo: str
    symbol: str
    quantity: Decimal  # instrument quantity for trades, else 0
    price: Decimal | None
    currency: str
    amount: Decimal  # principal cash
    commission: Decimal
    execution_id: str | None


def activity_for(
    *,
    tenant,
    account_ids: Accounts,
    start: date | None = None,
    end: date | None = None,
    kinds=None,
) -> list[Activity]:
    """Trades and cash transactions, one row per entry and account, newest first."""
    qs = postings_for(tenant=tenant, account_ids=account_ids).select_related(
        "entry", "instrument", "account"
    )
    if start:
        qs = qs.filter(entry__trade_date__gte=start)
    if end:
        qs = qs.filter(entry__trade_date__lte=end)
    if kinds:
        qs = qs.filter(entry__kind__in=list(kinds))
    grouped: dict[tuple[int, int], list[Posting]] = defaultdict(list)
    for posting in qs.order_by("-entry__trade_date", "-entry_id", "leg"):
        grouped[(posting.entry_id, posting.account_id)].append(posting)
    out = []
    for postings in grouped.values():
        entry: JournalEntry = postings[0].entry
        leg = next((p for p in postings if p.instrument_id), None)
        cash = [p for p in postings if p.currency]
        principal = sum((p.quantity for p in cash if p.role == "principal"), Decimal(0))
        out.append(
            Activity(
                entry_id=entry.pk,
                kind=entry.kind,
                trade_date=entry.trade_date,
                settle_date=entry.settle_date,
                account_id=postings[0].account_id,
                account_number=postings[0].account.number,
                memo=entry.memo,
                symbol=leg.instrument.symbol if leg else "",
                quantity=leg.quantity if leg else Decimal(0),
                price=leg.price if leg else None,
                currency=(cash[0].currency if cash else (leg.instrument.currency if leg else "")),
                amount=principal,
                commission=-sum(
                    (p.quantity for p in cash if p.role in ("commission", "fee")), Decimal(0)
                ),
                execution_id=entry.execution_id,
            )
        )
    return out


@dataclass(frozen=True)
class RecentEntry:
    entry_id: int
    trade_date: date
    kind: str
    description: str


def entries_recent_for(*, tenant, account_ids: Accounts, limit: int) -> list[RecentEntry]:
    """The latest journal entries touching the accounts, newest first, for a short list: two
    queries whatever the history (`Account` objects are scoped without a query).
    `activity_for` builds full rows for a date range and has no limit; with thousands of
    postings it would load them all to show eight lines."""
    ids = account_ids_scoped(tenant=tenant, account_ids=account_ids)
    # From the accounts' postings (index on account) to their entries, not the other way round:
    # the journal holds every tenant's entries, an account's postings are few.
    entries = list(
        Posting.objects.filter(account_id__in=ids)
        .order_by("-entry__trade_date", "-entry_id")
        .values_list("entry_id", "entry__trade_date", "entry__kind", "entry__memo")
        .distinct()[:limit]
    )
    legs = {
        p.entry_id: p
        for p in Posting.objects.filter(
            entry_id__in=[e[0] for e in entries], account_id__in=ids, instrument__isnull=False
        ).select_related("instrument")
    }
    kinds = dict(JournalEntry.Kind.choices)
    rows = []
    for entry_id, trade_date, kind, memo in entries:
        leg = legs.get(entry_id)
        if leg is not None and kind == JournalEntry.Kind.TRADE:
            side = "BUY" if leg.quantity > 0 else "SELL"
            text = f"{side} {abs(leg.quantity).normalize():f} {leg.instrument.symbol}"
            text += f" @ {leg.price.normalize():f}" if leg.price is not None else ""
        else:
            text = memo or kinds.get(kind, kind)
        rows.append(RecentEntry(entry_id, trade_date, kind, text))
    return rows


def execution_entry_for(
    *, tenant, execution_id: str, account_id: int, instrument_id: int
) -> tuple[bool, JournalEntry | None]:
    """(whether `execution_id` is booked at all, its entry when that booking has a leg of
    `instrument_id` in the tenant's account `account_id`). Execution ids are unique across the
    journal, so an id booked elsewhere is reported as booked, with no entry."""
    entry = JournalEntry.objects.filter(execution_id=execution_id).first()
    if entry is None:
        return False, None
    legs = Posting.objects.filter(
        entry=entry, account_id=account_id, account__tenant=tenant, instrument_id=instrument_id
    )
    return True, entry if legs.exists() else None


def execution_entries_for(*, tenant, execution_ids: list[str]) -> dict[str, JournalEntry]:
    """execution id → its trade entry, for the ids booked with a leg in one of the tenant's
    accounts (one query; ids booked elsewhere or not at all are absent)."""
    if not execution_ids:
        return {}
    entries = JournalEntry.objects.filter(
        execution_id__in=list(execution_ids),
        postings__account__tenant=tenant,
    ).distinct()
    return {entry.execution_id: entry for entry in entries}


@dataclass(frozen=True, slots=True)
class Execution:
    entry_id: int
    trade_date: date
    instrument_id: int
    quantity: Decimal  # signed: positive bought, negative sold


def executions_in_range_for(*, tenant, account_id: int, start: date, end: date) -> list[Execution]:
    """The trades of one of the tenant's accounts dated `start`..`end`, in booking order (entry
    id), one row per execution with its signed quantity: one query. Trades later reversed
    and their reversals are left out."""
    ids = account_ids_scoped(tenant=tenant, account_ids=[account_id])
    rows = (
        Posting.objects.filter(
            account_id__in=ids,
            instrument_id__isnull=False,
            role=Posting.Role.PRINCIPAL,
            entry__kind=JournalEntry.Kind.TRADE,
            entry__trade_date__gte=start,
            entry__trade_date__lte=end,
            entry__reversed_by__isnull=True,
        )
        .order_by("entry_id", "leg")
        .values_list("entry_id", "entry__trade_date", "instrument_id", "quantity")
    )
    return [Execution(*row) for row in rows]


EXECUTION_FIELDS = (
    "account_id",
    "entry_id",
    "entry__execution_id",
    "account__number",
    "instrument__symbol",
    "quantity",
    "price",
    "entry__trade_date",
    "entry__settle_date",
)


def executions_for(*, tenant, account_ids: Accounts) -> QuerySet:
    """The executions booked in the tenant's accounts among `account_ids`: one row (values of
    EXECUTION_FIELDS) per execution and account."""
    return (
        postings_for(tenant=tenant, account_ids=account_ids)
        .filter(
            instrument_id__isnull=False,
            role=Posting.Role.PRINCIPAL,
            entry__kind=JournalEntry.Kind.TRADE,
            entry__execution_id__isnull=False,
        )
        .values(*EXECUTION_FIELDS)
    )


def execution_ids_booked(*, execution_ids: list[str]) -> set[str]:
    """Those of `execution_ids` the journal holds (execution ids are unique platform-wide)."""
    return set(
        JournalEntry.objects.filter(execution_id__in=execution_ids).values_list(
            "execution_id", flat=True
        )
    )


def executions_by_id(*, tenant, execution_ids: list[str]) -> QuerySet:
    """`executions_for` rows of the given execution ids, on the tenant's accounts."""
    return (
        Posting.objects.filter(
            account__tenant_id=tenant.pk,
            entry__execution_id__in=execution_ids,
            role=Posting.Role.PRINCIPAL,
            instrument_id__isnull=False,
        )
        .values(*EXECUTION_FIELDS)
        .order_by("entry_id", "account_id")
    )
