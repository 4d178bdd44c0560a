"""The one way into the journal: `journal_post` books an entry and updates the projections
(cash balances, positions, tax lots, realized gains) in the same transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from ledger.domain.lots import PX, QTY
from ledger.errors import InsufficientFunds, LedgerError, ShortSaleRefused, UnbalancedEntry
from ledger.journal.projections import pairs_apply
from ledger.journal.sqlbulk import LotEvent, array, cash_add, pairs_fold, pairs_rebuild
from ledger.journal.versions import accounts_touch
from ledger.models import Account, Instrument, JournalEntry, Posting
from ledger.reference import validate_currency

Kind = JournalEntry.Kind
ZERO = Decimal(0)


@dataclass(frozen=True)
class PostingLine:
    """One leg to post: `quantity` of an instrument (with its unit `price`) or of a currency."""

    account: Account
    quantity: Decimal
    instrument: Instrument | None = None
    currency: str = ""
    price: Decimal | None = None
    role: str = Posting.Role.PRINCIPAL
    cost: Decimal | None = None  # the trade's costs in the lots (see `Posting.cost`)
    acquired: date | None = None  # a carried lot's acquisition date (see `Posting.acquired`)

    @property
    def asset(self) -> tuple[str, object]:
        return ("i", self.instrument.pk) if self.instrument else ("c", self.currency)


def _lines_check(kind: str, lines: list[PostingLine]) -> None:
    if not lines:
        raise UnbalancedEntry("An entry needs at least two postings.")
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for line in lines:
        if (line.instrument is None) == (not line.currency):
            raise LedgerError("A posting moves either an instrument or a currency.")
        if line.quantity == 0:
            raise LedgerError("A posting cannot move a zero quantity.")
        if line.quantity != line.quantity.quantize(QTY) or (
            line.price is not None and line.price != line.price.quantize(PX)
        ):
            raise LedgerError("Quantities have at most 8 and prices at most 10 decimals.")
        if line.currency:
            validate_currency(line.currency)
        elif (
            line.price is None
            and not line.account.is_platform
            and kind not in (Kind.STOCK_SPLIT, Kind.REVERSAL)
        ):
            raise LedgerError(f"The {line.instrument} posting needs a price.")
        if line.account.status == Account.Status.CLOSED:
            raise LedgerError(f"Account {line.account.number} is closed.")
        totals[line.asset] += line.quantity
    unbalanced = [asset for asset, total in totals.items() if total != 0]
    if unbalanced:
        raise UnbalancedEntry(f"Postings do not sum to zero for {unbalanced}.")


@transaction.atomic
def journal_post(
    *,
    kind: str,
    lines: list[PostingLine],
    idempotency_key: str,
    trade_date: date,
    settle_date: date | None = None,
    memo: str = "",
    execution_id: str | None = None,
    reverses: JournalEntry | None = None,
    split_ratio: Decimal | None = None,
    broker_reported: bool = False,
) -> JournalEntry:
    """Book one balanced entry. The same idempotency key twice books once and returns the
    first entry. Cash accounts may not go below zero withdrawable cash (trade-date cash less
    unsettled credits, so settled cash stays ≥ 0 on every future day) and may not sell short;
    such an entry is refused and nothing is booked — unless it is `broker_reported`: a fact
    from the carrying broker's statement is booked as it happened."""
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    _lines_check(kind, lines)
    entry = JournalEntry(
        kind=kind,
        trade_date=trade_date,
        settle_date=settle_date or trade_date,
        idempotency_key=idempotency_key,
        execution_id=execution_id,
        memo=memo[:300],
        reverses=reverses,
        split_ratio=split_ratio,
        created_at=timezone.now(),
    )
    with connection.cursor() as cursor:
        # A concurrent booking with the same key waits here for the first to commit, then
        # inserts nothing and returns the first entry.
        cursor.execute(
            "INSERT INTO ledger_journalentry (kind, trade_date, settle_date, idempotency_key, "
            "execution_id, memo, reverses_id, split_ratio, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            [
                entry.kind,
                entry.trade_date,
                entry.settle_date,
                entry.idempotency_key,
                entry.execution_id,
                entry.memo,
                entry.reverses_id,
                entry.split_ratio,
                entry.created_at,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return JournalEntry.objects.get(idempotency_key=idempotency_key)
    entry.pk = row[0]
    entry._state.adding = False
    entry._state.db = "default"
    _postings_insert(entry.pk, lines)
    _projections_update(entry, lines, checked=not broker_reported)
    accounts_touch(line.account.pk for line in lines)
    return entry


def _postings_insert(entry_id: int, lines: list[PostingLine]) -> None:
    """All postings of the entry in one statement, whatever their number."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, leg, account_id, instrument_id, currency, "
            "quantity, price, role, cost, acquired) "
            "SELECT %s, t.n - 1, t.a, t.i, t.c, t.q, t.p, t.r, t.k, t.d FROM unnest(%s::bigint[], "
            "%s::bigint[], %s::varchar[], %s::numeric[], %s::numeric[], %s::varchar[], "
            "%s::numeric[], %s::date[]) WITH ORDINALITY AS t(a, i, c, q, p, r, k, d, n)",
            [
                entry_id,
                array(line.account.pk for line in lines),
                array(line.instrument.pk if line.instrument else None for line in lines),
                # Currency codes and roles are plain letters (validated), safe unquoted.
                array(line.currency or '""' for line in lines),
                array(line.quantity for line in lines),
                array(line.price for line in lines),
                array(line.role for line in lines),
                array(line.cost for line in lines),
                array(line.acquired for line in lines),
            ],
        )


def _projections_update(
    entry: JournalEntry, lines: list[PostingLine], *, checked: bool = True
) -> None:
    """Cash balances, positions, lots and realized gains of the entry's accounts, with a fixed
    number of statements however many accounts the entry touches (an allocation books to
    thousands)."""
    cash: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    pairs: dict[tuple[int, int], list[PostingLine]] = defaultdict(list)
    accounts = {}
    for line in lines:
        if line.account.is_platform:
            continue
        accounts[line.account.pk] = line.account
        if line.instrument is not None:
            pairs[(line.account.pk, line.instrument.pk)].append(line)
        else:
            cash[(line.account.pk, line.currency)] += line.quantity
    # Rows are locked in one global order (account, asset) so concurrent entries cannot deadlock.
    with connection.cursor() as cursor:
        balances = cash_add(cursor, cash)
    if entry.kind == Kind.REVERSAL or (entry.reverses_id is not None):
        with connection.cursor() as cursor:
            quantities = pairs_rebuild(cursor, pairs)
    elif entry.kind == Kind.STOCK_SPLIT:
        pairs_apply(entry, {key: pairs[key] for key in sorted(pairs)})
        quantities = None
    else:
        with connection.cursor() as cursor:
            quantities = pairs_fold(
                cursor,
                {
                    pair: [
                        LotEvent(
                            entry.pk,
                            line.quantity,
                            line.price if line.price is not None else ZERO,
                            entry.trade_date,
                            line.instrument.multiplier,
                            line.cost or ZERO,
                            line.acquired,
                            line.role == Posting.Role.CARRY,
                        )
                        for line in pair_lines
                    ]
                    for pair, pair_lines in pairs.items()
                },
            )
    if checked:
        _cash_check(entry, accounts, cash, balances)
        _short_check(entry, accounts, pairs, quantities)


def _funds_checked(entry: JournalEntry, account: Account) -> bool:
    if entry.kind in (Kind.WITHDRAWAL, Kind.CASH_TRANSFER):
        return True  # no account withdraws on margin
    return (
        account.margin_type == Account.MarginType.CASH
        and account.account_type != Account.Type.MASTER
    )


def _unsettled_credits_many(keys: list[tuple[int, str]], as_of: date) -> dict:
    if not keys:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.account_id, p.currency, SUM(p.quantity) FROM ledger_posting p "
            "JOIN unnest(%s::bigint[], %s::varchar[]) AS t(a, c) "
            "ON p.account_id = t.a AND p.instrument_id IS NULL AND p.currency = t.c "
            "JOIN ledger_journalentry e ON e.id = p.entry_id "
            "WHERE p.quantity > 0 AND e.settle_date > %s GROUP BY 1, 2",
            [[k[0] for k in keys], [k[1] for k in keys], as_of],
        )
        return {(a, c): total for a, c, total in cursor.fetchall()}


def _cash_check(entry, accounts, cash, balances) -> None:
    today = timezone.localdate()
    checked = sorted(
        key for key, delta in cash.items() if delta < 0 and _funds_checked(entry, accounts[key[0]])
    )
    unsettled = _unsettled_credits_many(checked, today)
    for key in checked:
        account_id, currency = key
        delta = cash[key]
        withdrawable = balances[key] - unsettled.get(key, ZERO)
        if withdrawable < 0:
            available = withdrawable - delta
            raise InsufficientFunds(
                f"Account {accounts[account_id].number} has {available:,.2f} {currency} of "
                f"withdrawable cash; {-delta:,.2f} {currency} were requested."
            )


def _short_check(entry, accounts, pairs, quantities) -> None:
    checked = [
        pair
        for pair in sorted(pairs)
        if accounts[pair[0]].margin_type == Account.MarginType.CASH
        and accounts[pair[0]].account_type != Account.Type.MASTER
    ]
    if quantities is None and checked:
        from ledger.models import Position

        quantities = {}
        for account_id, instrument_id, quantity in Position.objects.filter(
            account_id__in={p[0] for p in checked}, instrument_id__in={p[1] for p in checked}
        ).values_list("account_id", "instrument_id", "quantity"):
            quantities[(account_id, instrument_id)] = quantity
    for pair in checked:
        if quantities.get(pair, ZERO) < 0:
            raise ShortSaleRefused(
                f"Account {accounts[pair[0]].number} is a cash account and cannot hold a short "
                f"position in {pairs[pair][0].instrument}."
            )
