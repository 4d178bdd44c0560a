"""The one way into the journal: `journal_post` books an entry and updates the projections
(cash balances, positions, tax lots, realized gains) in the same transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from ledger.errors import InsufficientFunds, LedgerError, ShortSaleRefused, UnbalancedEntry
from ledger.lots import PX, QTY
from ledger.models import Account, Instrument, JournalEntry, Posting
from ledger.projections import pair_replay_store, pairs_apply
from ledger.reference import validate_currency
from ledger.versions import accounts_touch

Kind = JournalEntry.Kind


@dataclass(frozen=True)
class PostingLine:
    """One leg to post: `quantity` of an instrument (with its unit `price`) or of a currency."""

    account: Account
    quantity: Decimal
    instrument: Instrument | None = None
    currency: str = ""
    price: Decimal | None = None
    role: str = Posting.Role.PRINCIPAL

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
) -> JournalEntry:
    """Book one balanced entry. The same idempotency key twice books once and returns the
    first entry. Cash accounts may not go below zero withdrawable cash (trade-date cash less
    unsettled credits, so settled cash stays ≥ 0 on every future day) and may not sell short;
    such an entry is refused and nothing is booked."""
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
    Posting.objects.bulk_create(
        Posting(
            entry=entry,
            account=line.account,
            instrument=line.instrument,
            currency=line.currency,
            quantity=line.quantity,
            price=line.price,
            role=line.role,
        )
        for line in lines
    )
    _projections_update(entry, lines)
    accounts_touch(line.account.pk for line in lines)
    return entry


def _projections_update(entry: JournalEntry, lines: list[PostingLine]) -> None:
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
    # Lock rows in one global order (account, asset) so concurrent entries cannot deadlock.
    balances = _cash_add(sorted(cash.items()))
    if entry.kind == Kind.REVERSAL or (entry.reverses_id is not None):
        for account_id, instrument_id in sorted(pairs):
            pair_replay_store(account_id=account_id, instrument_id=instrument_id)
    else:
        pairs_apply(entry, {key: pairs[key] for key in sorted(pairs)})
    _cash_check(entry, accounts, cash, balances)
    _short_check(entry, accounts, pairs)


def _cash_add(changes: list[tuple[tuple[int, str], Decimal]]) -> dict[tuple[int, str], Decimal]:
    if not changes:
        return {}
    balances = {}
    with connection.cursor() as cursor:
        for (account_id, currency), delta in changes:
            cursor.execute(
                "INSERT INTO ledger_cashbalance (account_id, currency, quantity) "
                "VALUES (%s, %s, %s) ON CONFLICT (account_id, currency) "
                "DO UPDATE SET quantity = ledger_cashbalance.quantity + EXCLUDED.quantity "
                "RETURNING quantity",
                [account_id, currency, delta],
            )
            balances[(account_id, currency)] = cursor.fetchone()[0]
    return balances


def unsettled_credits(*, account_id: int, currency: str, as_of: date) -> Decimal:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(p.quantity), 0) FROM ledger_posting p "
            "JOIN ledger_journalentry e ON e.id = p.entry_id "
            "WHERE p.account_id = %s AND p.currency = %s AND p.quantity > 0 "
            "AND e.settle_date > %s",
            [account_id, currency, as_of],
        )
        return cursor.fetchone()[0]


def _funds_checked(entry: JournalEntry, account: Account) -> bool:
    if entry.kind in (Kind.WITHDRAWAL, Kind.CASH_TRANSFER):
        return True  # no account withdraws on margin
    return (
        account.margin_type == Account.MarginType.CASH
        and account.account_type != Account.Type.MASTER
    )


def _cash_check(entry, accounts, cash, balances) -> None:
    today = timezone.localdate()
    for (account_id, currency), delta in cash.items():
        account = accounts[account_id]
        if delta >= 0 or not _funds_checked(entry, account):
            continue
        withdrawable = balances[(account_id, currency)] - unsettled_credits(
            account_id=account_id, currency=currency, as_of=today
        )
        if withdrawable < 0:
            available = withdrawable - delta
            raise InsufficientFunds(
                f"Account {account.number} has {available:,.2f} {currency} of withdrawable "
                f"cash; {-delta:,.2f} {currency} were requested."
            )


def _short_check(entry, accounts, pairs) -> None:
    from ledger.models import Position

    for account_id, instrument_id in pairs:
        account = accounts[account_id]
        if account.margin_type != Account.MarginType.CASH or account.account_type == "master":
            continue
        position = Position.objects.get(account_id=account_id, instrument_id=instrument_id)
        if position.quantity < 0:
            raise ShortSaleRefused(
                f"Account {account.number} is a cash account and cannot hold a short position "
                f"in {pairs[(account_id, instrument_id)][0].instrument}."
            )
