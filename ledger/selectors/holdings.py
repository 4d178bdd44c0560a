"""What a tenant's accounts hold: positions, cash (trade-date, settled, withdrawable), open tax
lots and realized gains, and the lot history of (account, instrument) pairs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from ledger.domain.fx import fx_factor
from ledger.domain.lots import PairEvent
from ledger.domain.valuation import CashInput
from ledger.journal.projections import pair_events_load_many
from ledger.models import Position, RealizedGain, TaxLot
from ledger.selectors.accounts import Accounts, account_ids_scoped
from ledger.selectors.market import usd_rates_as_of

ZERO = Decimal(0)


def positions_for(*, tenant, account_ids: Accounts) -> QuerySet[Position]:
    return (
        Position.objects.filter(
            account_id__in=account_ids_scoped(tenant=tenant, account_ids=account_ids)
        )
        .exclude(quantity=0)
        .select_related("instrument", "account")
        .order_by("account__number", "instrument__symbol")
    )


def position_quantities_for(
    *, tenant, account_ids: Accounts, instrument_id: int
) -> dict[int, Decimal]:
    """account id → quantity of the instrument held (accounts that never held it are left
    out)."""
    ids = account_ids_scoped(tenant=tenant, account_ids=account_ids)
    return dict(
        Position.objects.filter(account_id__in=ids, instrument_id=instrument_id).values_list(
            "account_id", "quantity"
        )
    )


@dataclass(frozen=True)
class CashRow:
    account_id: int
    currency: str
    balance: Decimal  # trade-date
    settled: Decimal
    withdrawable: Decimal  # settled cash less pending debits


# Trade-date cash per account and currency with what settles after the day: credits and debits
# still to settle (params: account ids, the day, account ids).
CASH_ROWS_SQL = (
    "SELECT c.account_id, c.currency, c.quantity,"
    " COALESCE(u.credits, 0), COALESCE(u.debits, 0)"
    " FROM ledger_cashbalance c LEFT JOIN ("
    "  SELECT p.account_id, p.currency,"
    "   SUM(p.quantity) FILTER (WHERE p.quantity > 0) AS credits,"
    "   SUM(p.quantity) FILTER (WHERE p.quantity < 0) AS debits"
    "  FROM ledger_posting p JOIN ledger_journalentry e ON e.id = p.entry_id"
    "  WHERE p.account_id = ANY(%s) AND p.instrument_id IS NULL AND e.settle_date > %s"
    "  GROUP BY 1, 2) u ON u.account_id = c.account_id AND u.currency = c.currency"
    " WHERE c.account_id = ANY(%s) ORDER BY c.account_id, c.currency"
)


def cash_rows_from(rows) -> list[CashRow]:
    """`CashRow`s of the rows of `CASH_ROWS_SQL`."""
    return [
        CashRow(a, ccy, bal, bal - credits - debits, bal - credits)
        for a, ccy, bal, credits, debits in rows
    ]


def cash_rows_for_ids(account_ids: list[int], *, as_of: date | None = None) -> list[CashRow]:
    """Cash of accounts already scoped to a tenant (or of platform-side callers)."""
    as_of = as_of or timezone.localdate()
    if not account_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(CASH_ROWS_SQL, [account_ids, as_of, account_ids])
        return cash_rows_from(cursor.fetchall())


def cash_balances_for(*, tenant, account_ids: Accounts, as_of: date | None = None) -> list[CashRow]:
    """Trade-date and settled cash per account and currency."""
    return cash_rows_for_ids(
        account_ids_scoped(tenant=tenant, account_ids=account_ids), as_of=as_of
    )


@dataclass(frozen=True)
class CashReport:
    rows: list[CashRow]
    base_currency: str
    total: Decimal  # trade-date cash of every row, in the base currency at today's FX
    settled_total: Decimal


def cash_for(*, tenant, account_ids: Accounts, base_currency: str) -> CashReport:
    """Cash per account and currency, with totals in `base_currency` at today's FX rates."""
    rows = cash_balances_for(tenant=tenant, account_ids=account_ids)
    rates = usd_rates_as_of(as_of=timezone.localdate()) if rows else {}
    total = settled_total = ZERO
    for row in rows:
        fx = fx_factor(rates, currency=row.currency, base=base_currency)
        total += row.balance * fx
        settled_total += row.settled * fx
    return CashReport(rows, base_currency, total, settled_total)


def cash_as_of(ids: list[int], as_of: date) -> dict[int, list[CashInput]]:
    """Trade-date, settled and withdrawable cash on `as_of`, from the journal, of accounts
    already scoped to a tenant."""
    out = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.account_id, p.currency, SUM(p.quantity),"
            " SUM(p.quantity) FILTER (WHERE e.settle_date <= %s),"
            " SUM(p.quantity) FILTER (WHERE e.settle_date > %s AND p.quantity > 0)"
            " FROM ledger_posting p JOIN ledger_journalentry e ON e.id = p.entry_id"
            " WHERE p.account_id = ANY(%s) AND p.instrument_id IS NULL AND e.trade_date <= %s"
            " GROUP BY 1, 2",
            [as_of, as_of, ids, as_of],
        )
        for account_id, ccy, balance, settled, credits in cursor.fetchall():
            out[account_id].append(
                CashInput(ccy, balance, settled or ZERO, balance - (credits or ZERO))
            )
    return out


def cash_as_of_for(*, tenant, account_ids: Accounts, as_of: date) -> dict[int, list[CashInput]]:
    """account id → its cash per currency on `as_of` (trade-date, settled and withdrawable),
    read from the journal: any past day, not only today's balances."""
    return cash_as_of(account_ids_scoped(tenant=tenant, account_ids=account_ids), as_of)


def lots_for(*, tenant, account_ids: Accounts, instrument_ids=None) -> QuerySet[TaxLot]:
    qs = TaxLot.objects.filter(
        account_id__in=account_ids_scoped(tenant=tenant, account_ids=account_ids)
    )
    if instrument_ids is not None:
        qs = qs.filter(instrument_id__in=list(instrument_ids))
    return qs.select_related("instrument", "account")


def realized_for(
    *, tenant, account_ids: Accounts, start: date | None = None, end: date | None = None
) -> QuerySet[RealizedGain]:
    """Realized gains per closed lot, each naming its closing entry (`closed_by`)."""
    qs = RealizedGain.objects.filter(
        account_id__in=account_ids_scoped(tenant=tenant, account_ids=account_ids)
    )
    if start:
        qs = qs.filter(close_date__gte=start)
    if end:
        qs = qs.filter(close_date__lte=end)
    return qs.select_related("instrument", "account", "closed_by")


def pair_events_for(
    *, tenant, account_ids: Accounts, instrument_ids
) -> dict[tuple[int, int], list[PairEvent]]:
    """(account id, instrument id) → the pair's lot history in booking order, without reversed
    entries and their reversals: what `ledger.domain.lots.pair_events_replay` folds into lots."""
    ids = account_ids_scoped(tenant=tenant, account_ids=account_ids)
    return pair_events_load_many(ids, list(instrument_ids))


@dataclass(frozen=True)
class Acquisition:
    account_id: int
    instrument_id: int
    entry_id: int
    on: date
    quantity: Decimal
    price: Decimal | None


def acquisitions_for(*, tenant, account_ids: Accounts, start: date, end: date) -> list[Acquisition]:
    """Shares bought (trades and option deliveries, not reorganisations or transfers) by the
    tenant's accounts between `start` and `end`, for the wash-sale test (IRC §1091)."""
    ids = account_ids_scoped(tenant=tenant, account_ids=account_ids)
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.account_id, p.instrument_id, e.id, e.trade_date, p.quantity, p.price "
            "FROM ledger_posting p JOIN ledger_journalentry e ON e.id = p.entry_id "
            "WHERE p.account_id = ANY(%s) AND p.instrument_id IS NOT NULL AND p.quantity > 0 "
            "AND e.kind IN ('trade', 'option_event') AND e.trade_date BETWEEN %s AND %s "
            "AND e.reverses_id IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM ledger_journalentry r WHERE r.reverses_id = e.id) ORDER BY e.id",
            [ids, start, end],
        )
        return [Acquisition(*row) for row in cursor.fetchall()]
