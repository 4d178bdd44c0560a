"""Reconciliation of the ledger with the carrying broker's statements (`BrokerStatement`):
per statement, the ledger's quantity per contract and cash per currency at the statement's
end date against its `OpenPositions` and `CashReport` ending cash, and the realized P&L the
ledger booked for each closing trade against the trade's `fifoPnlRealized`. Amounts agree
when equal to the cent (both rounded half-up to 0.01); quantities when equal."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from ledger.models import BrokerStatement, BrokerStatementLine
from ledger.selectors.accounts import Accounts, account_ids_scoped, accounts_for

ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class ReconciliationLine:
    account_id: int
    account_number: str
    statement_id: int
    as_of: date
    kind: str  # position, cash, realized
    key: str
    label: str
    currency: str
    broker: Decimal
    ledger: Decimal

    @property
    def difference(self) -> Decimal:
        return self.ledger - self.broker

    @property
    def agrees(self) -> bool:
        if self.kind == "position":
            return self.ledger == self.broker
        return self.ledger.quantize(CENT, ROUND_HALF_UP) == self.broker.quantize(
            CENT, ROUND_HALF_UP
        )


def _statements(account_ids: list[int], as_of: date | None) -> list[BrokerStatement]:
    """Per account, its newest statement ending on or before `as_of` (default: the newest)."""
    qs = BrokerStatement.objects.filter(account_id__in=account_ids).select_related("account")
    if as_of is not None:
        qs = qs.filter(to_date__lte=as_of)
    newest: dict[int, BrokerStatement] = {}
    for statement in qs.order_by("account_id", "-to_date", "-id"):
        newest.setdefault(statement.account_id, statement)
    return sorted(newest.values(), key=lambda s: (s.account.number, s.to_date))


def _ledger_positions(account_id: int, as_of: date) -> dict[str, tuple[Decimal, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.conid, i.id, i.symbol, i.currency, SUM(p.quantity) FROM ledger_posting p "
            "JOIN ledger_journalentry e ON e.id = p.entry_id "
            "JOIN ledger_instrument i ON i.id = p.instrument_id "
            "WHERE p.account_id = %s AND e.trade_date <= %s GROUP BY 1, 2, 3, 4",
            [account_id, as_of],
        )
        return {
            str(conid if conid is not None else f"id:{pk}"): (qty, symbol, ccy)
            for conid, pk, symbol, ccy, qty in cursor.fetchall()
        }


def _ledger_cash(account_id: int, as_of: date) -> dict[str, Decimal]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.currency, SUM(p.quantity) FROM ledger_posting p "
            "JOIN ledger_journalentry e ON e.id = p.entry_id "
            "WHERE p.account_id = %s AND p.instrument_id IS NULL AND e.trade_date <= %s "
            "GROUP BY 1",
            [account_id, as_of],
        )
        return dict(cursor.fetchall())


def _ledger_realized(account_id: int, keys: list[str]) -> dict[str, Decimal]:
    if not keys:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.idempotency_key, COALESCE(SUM(g.pnl), 0) FROM ledger_journalentry e "
            "LEFT JOIN ledger_realizedgain g ON g.closed_by_id = e.id AND g.account_id = %s "
            "WHERE e.idempotency_key = ANY(%s) GROUP BY 1",
            [account_id, keys],
        )
        return dict(cursor.fetchall())


def reconciliation_lines_for_accounts(
    *, account_ids: list[int], as_of: date | None = None
) -> list[ReconciliationLine]:
    """Every reconciled figure of accounts already scoped (the import's own accounts, or a
    tenant's through `reconciliation_for`)."""
    out: list[ReconciliationLine] = []
    statements = _statements(list(account_ids), as_of)
    lines_by_statement: dict[int, list[BrokerStatementLine]] = defaultdict(list)
    for line in BrokerStatementLine.objects.filter(statement__in=statements):
        lines_by_statement[line.statement_id].append(line)
    for statement in statements:
        account = statement.account
        day = statement.to_date
        lines = lines_by_statement[statement.pk]

        def add(kind, key, label, currency, broker, ledger, statement=statement, account=account):
            out.append(
                ReconciliationLine(
                    account.pk,
                    account.number,
                    statement.pk,
                    statement.to_date,
                    kind,
                    key,
                    label,
                    currency,
                    broker,
                    ledger,
                )
            )

        positions = _ledger_positions(account.pk, day)
        broker_positions = {line.key: line for line in lines if line.kind == "position"}
        for key in sorted(set(positions) | set(broker_positions)):
            ledger_qty, symbol, ccy = positions.get(key, (ZERO, "", ""))
            line = broker_positions.get(key)
            if line is None and ledger_qty == 0:
                continue
            add(
                "position",
                key,
                line.label if line else symbol,
                line.currency if line else ccy,
                line.value if line else ZERO,
                ledger_qty,
            )
        cash = _ledger_cash(account.pk, day)
        broker_cash = {line.key: line for line in lines if line.kind == "cash"}
        for currency in sorted(set(cash) | set(broker_cash)):
            line = broker_cash.get(currency)
            ledger_cash = cash.get(currency, ZERO)
            if line is None and ledger_cash == 0:
                continue
            add("cash", currency, currency, currency, line.value if line else ZERO, ledger_cash)
        realized_lines = [line for line in lines if line.kind == "realized"]
        realized = _ledger_realized(account.pk, [line.key for line in realized_lines])
        for line in realized_lines:
            add(
                "realized",
                line.key,
                line.label,
                line.currency,
                line.value,
                realized.get(line.key, ZERO),
            )
    return out


def reconciliation_for(
    *, tenant, account_ids: Accounts | None = None, as_of: date | None = None
) -> list[ReconciliationLine]:
    """The reconciliation of the tenant's accounts (all, or those of `account_ids`) with their
    newest broker statement ending on or before `as_of`."""
    if account_ids is None:
        ids = list(accounts_for(tenant=tenant).values_list("pk", flat=True))
    else:
        ids = account_ids_scoped(tenant=tenant, account_ids=account_ids)
    return reconciliation_lines_for_accounts(account_ids=ids, as_of=as_of)


def reconciliation_breaks_for(
    *, tenant, account_ids: Accounts | None = None, as_of: date | None = None
) -> list[ReconciliationLine]:
    return [
        line
        for line in reconciliation_for(tenant=tenant, account_ids=account_ids, as_of=as_of)
        if not line.agrees
    ]


def reconciliation_breaks_count(*, tenant, as_of: date | None = None) -> int:
    """How many reconciled figures of the tenant's accounts differ from the broker's, for the
    staff dashboard."""
    return len(reconciliation_breaks_for(tenant=tenant, as_of=as_of))
