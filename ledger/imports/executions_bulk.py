"""The bulk path of execution import: a chunk of validated executions becomes journal
entries, postings, lots, realized gains, positions and cash balances with COPY and set-based
upserts — a fixed number of statements per chunk, not a statement per row.

The rows written are exactly what `trade_book` writes for one execution, and the lots come from
the same pure `ledger.domain.lots` functions, so `ledger_verify` finds no difference."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import islice

from django.db import connection
from django.utils import timezone

from ledger import platform
from ledger.journal.sqlbulk import (
    LotEvent,
    cash_add,
    copy_rows,
    entry_ids_reserve,
    pairs_fold,
    text,
    text_array,
)
from ledger.journal.versions import accounts_touch

Q8 = Decimal("0.00000001")
ZERO = Decimal(0)


@dataclass(slots=True)
class ExecutionBooking:
    execution_id: str
    account_id: int
    instrument_id: int
    currency: str
    multiplier: Decimal
    quantity: Decimal  # signed: + buy, − sell
    price: Decimal
    trade_date: date
    settle_date: date
    commission: Decimal
    fees: Decimal
    # Costs in the lots, in the instrument's currency (Pub. 550); None: commission + fees.
    cost: Decimal | None = None
    # The commission's currency where it differs from the trade's (IBKR `ibCommissionCurrency`)
    commission_currency: str = ""
    taxes: Decimal = ZERO  # transaction taxes, their own postings to the tax account
    memo: str = ""


@dataclass
class BookedChunk:
    booked: int = 0
    skipped: int = 0

    def __iadd__(self, other: BookedChunk) -> BookedChunk:
        self.booked += other.booked
        self.skipped += other.skipped
        return self


def _entry_lines(bookings, entry_ids, principals: list, cash: dict, by_pair: dict):
    """Yield each execution's entry line; on the way, note its principal, its cash movement and
    its lot event."""
    now = timezone.now().isoformat()
    day = functools.cache(date.isoformat)  # a file's executions share a few dates
    for entry_id, b in zip(entry_ids, bookings, strict=True):
        exec_id = text(b.execution_id)
        trade, settle = day(b.trade_date), day(b.settle_date)
        principal = (b.quantity * b.price * b.multiplier).quantize(Q8)
        principals.append(principal)
        commission_ccy = b.commission_currency or b.currency
        if commission_ccy == b.currency:
            cash[(b.account_id, b.currency)] -= principal + b.commission + b.fees + b.taxes
        else:
            cash[(b.account_id, b.currency)] -= principal + b.fees + b.taxes
            cash[(b.account_id, commission_ccy)] -= b.commission
        cost = b.commission + b.fees + b.taxes if b.cost is None else b.cost
        by_pair[(b.account_id, b.instrument_id)].append(
            LotEvent(entry_id, b.quantity, b.price, b.trade_date, b.multiplier, cost)
        )
        memo = text(b.memo) if b.memo else ""
        yield (f"{entry_id}\ttrade\t{trade}\t{settle}\texec:{exec_id}\t{exec_id}\t{memo}\t{now}\n")


def _posting_lines(bookings, entry_ids, principals, clearing: int, fees_account: int, tax: int):
    """Yield the posting lines of each execution (formatted only now, so a chunk's postings are
    never all held in memory), legs in the order `trade_lines` gives them: instrument (with the
    trade's costs), principal, commission, fee, tax."""
    for entry_id, b, principal in zip(entry_ids, bookings, principals, strict=True):
        qty = b.quantity
        inst = b.instrument_id
        account = b.account_id
        ccy = b.currency
        cost = b.commission + b.fees + b.taxes if b.cost is None else b.cost
        cost_field = cost if cost else "\\N"
        lines = (
            f"{entry_id}\t0\t{account}\t{inst}\t\t{qty}\t{b.price}\tprincipal\t{cost_field}\n"
            f"{entry_id}\t1\t{clearing}\t{inst}\t\t{-qty}\t{b.price}\tprincipal\t\\N\n"
        )
        leg = 2
        if principal:
            lines += (
                f"{entry_id}\t2\t{account}\t\\N\t{ccy}\t{-principal}\t\\N\tprincipal\t\\N\n"
                f"{entry_id}\t3\t{clearing}\t\\N\t{ccy}\t{principal}\t\\N\tprincipal\t\\N\n"
            )
            leg = 4
        for amount, role, to, in_ccy in (
            (b.commission, "commission", fees_account, b.commission_currency or ccy),
            (b.fees, "fee", fees_account, ccy),
            (b.taxes, "tax", tax, ccy),
        ):
            if amount:
                lines += (
                    f"{entry_id}\t{leg}\t{account}\t\\N\t{in_ccy}\t{-amount}\t\\N\t{role}\t\\N\n"
                    f"{entry_id}\t{leg + 1}\t{to}\t\\N\t{in_ccy}\t{amount}\t\\N\t"
                    f"{role}\t\\N\n"
                )
                leg += 2
        yield lines


def chunk_book(bookings: list[ExecutionBooking]) -> BookedChunk:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT execution_id FROM ledger_journalentry WHERE execution_id = ANY(%s::text[])",
            [text_array([b.execution_id for b in bookings])],
        )
        existing = {row[0] for row in cursor.fetchall()}
        new = [b for b in bookings if b.execution_id not in existing]
        if not new:
            return BookedChunk(0, len(existing))
        entry_ids = entry_ids_reserve(cursor, len(new))
        clearing = platform.platform_account(platform.CLEARING).pk
        fees_account = platform.platform_account(platform.FEES).pk
        tax_account = platform.platform_account(platform.TAX).pk
        principals: list[Decimal] = []
        cash: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
        by_pair: dict[tuple[int, int], list[LotEvent]] = defaultdict(list)
        copy_rows(
            cursor,
            "ledger_journalentry",
            "id, kind, trade_date, settle_date, idempotency_key, execution_id, memo, created_at",
            _entry_lines(new, entry_ids, principals, cash, by_pair),
        )

        def postings_copy(fold_steps):
            # The lots are folded in Python while the server inserts the postings.
            copy_rows(
                cursor,
                "ledger_posting",
                "entry_id, leg, account_id, instrument_id, currency, quantity, price, role, cost",
                _interleaved(
                    _posting_lines(new, entry_ids, principals, clearing, fees_account, tax_account),
                    len(new),
                    fold_steps,
                    len(by_pair),
                ),
            )

        # Cash rows before positions, the order `journal_post` locks them in (no deadlock).
        cash_add(cursor, cash)
        pairs_fold(cursor, by_pair, during=postings_copy)
    accounts_touch(b.account_id for b in new)
    return BookedChunk(len(new), len(existing))


def _interleaved(lines, line_count: int, steps, step_count: int, every: int = 256):
    """`lines` (`line_count` of them), advancing `steps` evenly along them."""
    per = -(-step_count * every // max(line_count, 1))  # steps per `every` lines, rounded up
    for number, line in enumerate(lines, start=1):
        yield line
        if number % every == 0:
            for _ in islice(steps, per):
                pass
