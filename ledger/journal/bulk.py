"""Bulk booking of cash-only entries (deposits, withdrawals, dividends, interest, fees, FX
conversions) by COPY, for seeding and migrations of history. Idempotent by key; each entry
must balance per currency. No funds check: the caller books history that happened."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from ledger.errors import UnbalancedEntry
from ledger.journal.sqlbulk import cash_add, copy_rows, entry_ids_reserve, text
from ledger.journal.versions import accounts_touch
from ledger.models import Account


@dataclass(frozen=True)
class CashLine:
    account_id: int
    currency: str
    quantity: Decimal
    role: str = "principal"


@dataclass(frozen=True)
class BulkCashEntry:
    kind: str
    trade_date: date
    idempotency_key: str
    lines: tuple[CashLine, ...]
    memo: str = ""
    settle_date: date | None = None


@transaction.atomic
def cash_entries_bulk_book(entries: list[BulkCashEntry]) -> int:
    for entry in entries:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for line in entry.lines:
            totals[line.currency] += line.quantity
        if any(totals.values()):
            raise UnbalancedEntry(f"Entry {entry.idempotency_key} does not balance: {totals}.")
    platform_ids = set(
        Account.objects.filter(account_type=Account.Type.PLATFORM).values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT idempotency_key FROM ledger_journalentry WHERE idempotency_key = ANY(%s)",
            [[e.idempotency_key for e in entries]],
        )
        existing = {row[0] for row in cursor.fetchall()}
        new = [e for e in entries if e.idempotency_key not in existing]
        if not new:
            return 0
        ids = entry_ids_reserve(cursor, len(new))
        now = timezone.now().isoformat()
        entry_lines, posting_lines = [], []
        cash: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
        for entry_id, e in zip(ids, new, strict=True):
            entry_lines.append(
                f"{entry_id}\t{e.kind}\t{e.trade_date}\t{e.settle_date or e.trade_date}\t"
                f"{text(e.idempotency_key)}\t{text(e.memo)}\t{now}\n"
            )
            for leg, line in enumerate(e.lines):
                posting_lines.append(
                    f"{entry_id}\t{leg}\t{line.account_id}\t{line.currency}\t{line.quantity}\t"
                    f"{line.role}\n"
                )
                if line.account_id not in platform_ids:
                    cash[(line.account_id, line.currency)] += line.quantity
        copy_rows(
            cursor,
            "ledger_journalentry",
            "id, kind, trade_date, settle_date, idempotency_key, memo, created_at",
            entry_lines,
        )
        copy_rows(
            cursor,
            "ledger_posting",
            "entry_id, leg, account_id, currency, quantity, role",
            posting_lines,
        )
        cash_add(cursor, cash)
    accounts_touch(line.account_id for e in new for line in e.lines)
    return len(new)
