"""Reads of the shared ledger. Every function takes `tenant=` and returns only that tenant's
accounts (a platform account or another tenant's account is as if it did not exist)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from ledger.models import Account, JournalEntry, Position, Posting, RealizedGain, TaxLot


def accounts_for(*, tenant, account_ids=None) -> QuerySet[Account]:
    qs = Account.objects.filter(tenant=tenant).exclude(account_type=Account.Type.PLATFORM)
    if account_ids is not None:
        qs = qs.filter(pk__in=list(account_ids))
    return qs.select_related("parent")


def account_get(*, tenant, account_id) -> Account:
    """Raises Account.DoesNotExist for another tenant's account."""
    return accounts_for(tenant=tenant).get(pk=account_id)


def account_by_number(*, tenant, number: str) -> Account:
    return accounts_for(tenant=tenant).get(number=number)


def _scoped_ids(tenant, account_ids) -> list[int]:
    return list(accounts_for(tenant=tenant, account_ids=account_ids).values_list("pk", flat=True))


def positions_for(*, tenant, account_ids) -> QuerySet[Position]:
    return (
        Position.objects.filter(account_id__in=_scoped_ids(tenant, account_ids))
        .exclude(quantity=0)
        .select_related("instrument", "account")
        .order_by("account__number", "instrument__symbol")
    )


@dataclass(frozen=True)
class CashRow:
    account_id: int
    currency: str
    balance: Decimal  # trade-date
    settled: Decimal
    withdrawable: Decimal  # settled cash less pending debits


def cash_rows_for_ids(account_ids: list[int], *, as_of: date | None = None) -> list[CashRow]:
    """Cash of accounts already scoped to a tenant (or platform-side callers)."""
    as_of = as_of or timezone.localdate()
    if not account_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.account_id, c.currency, c.quantity,"
            " COALESCE(u.credits, 0), COALESCE(u.debits, 0)"
            " FROM ledger_cashbalance c LEFT JOIN ("
            "  SELECT p.account_id, p.currency,"
            "   SUM(p.quantity) FILTER (WHERE p.quantity > 0) AS credits,"
            "   SUM(p.quantity) FILTER (WHERE p.quantity < 0) AS debits"
            "  FROM ledger_posting p JOIN ledger_journalentry e ON e.id = p.entry_id"
            "  WHERE p.account_id = ANY(%s) AND p.instrument_id IS NULL AND e.settle_date > %s"
            "  GROUP BY 1, 2) u ON u.account_id = c.account_id AND u.currency = c.currency"
            " WHERE c.account_id = ANY(%s) ORDER BY c.account_id, c.currency",
            [account_ids, as_of, account_ids],
        )
        return [
            CashRow(a, ccy, bal, bal - credits - debits, bal - credits)
            for a, ccy, bal, credits, debits in cursor.fetchall()
        ]


def cash_balances_for(*, tenant, account_ids, as_of: date | None = None) -> list[CashRow]:
    """Trade-date and settled cash per account and currency."""
    return cash_rows_for_ids(_scoped_ids(tenant, account_ids), as_of=as_of)


def lots_for(*, tenant, account_ids, instrument_ids=None) -> QuerySet[TaxLot]:
    qs = TaxLot.objects.filter(account_id__in=_scoped_ids(tenant, account_ids))
    if instrument_ids is not None:
        qs = qs.filter(instrument_id__in=list(instrument_ids))
    return qs.select_related("instrument", "account")


def realized_for(
    *, tenant, account_ids, start: date | None = None, end: date | None = None
) -> QuerySet[RealizedGain]:
    """Realized gains per closed lot, each naming its closing entry (`closed_by`)."""
    qs = RealizedGain.objects.filter(account_id__in=_scoped_ids(tenant, account_ids))
    if start:
        qs = qs.filter(close_date__gte=start)
    if end:
        qs = qs.filter(close_date__lte=end)
    return qs.select_related("instrument", "account", "closed_by")


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
    *, tenant, account_ids, start: date | None = None, end: date | None = None, kinds=None
) -> list[Activity]:
    """Trades and cash transactions, one row per entry and account, newest first."""
    ids = _scoped_ids(tenant, account_ids)
    qs = Posting.objects.filter(account_id__in=ids).select_related("entry", "instrument", "account")
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


from ledger.selectors_performance import (  # noqa: E402
    nav_history_for,
    performance_for,
    period_range,
)
from ledger.selectors_valuation import (  # noqa: E402
    account_valuation,
    account_valuation_consolidated,
)

__all__ = [
    "account_valuation",
    "account_valuation_consolidated",
    "accounts_for",
    "account_get",
    "positions_for",
    "cash_balances_for",
    "activity_for",
    "lots_for",
    "realized_for",
    "nav_history_for",
    "performance_for",
    "period_range",
]
