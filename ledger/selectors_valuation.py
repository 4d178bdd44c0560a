"""Valuation reads: an account's or a master's consolidated NLV, margin and P&L in its base
currency, computed by the pure `ledger.valuation` from a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from ledger.market import closes_as_of, fx_factor, usd_rates_as_of
from ledger.models import Account, Instrument
from ledger.selectors import accounts_for, cash_rows_for_ids
from ledger.valuation import CashInput, PositionInput, Valuation, account_value, consolidate

ZERO = Decimal(0)


def _holdings_current(ids: list[int]):
    """(positions by account: [(instrument id, qty, cost)], realized by account: [(inst, pnl)])"""
    positions, realized = defaultdict(list), defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_id, instrument_id, quantity, cost, realized_pnl FROM ledger_position"
            " WHERE account_id = ANY(%s)",
            [ids],
        )
        for account_id, instrument_id, qty, cost, pnl in cursor.fetchall():
            if qty:
                positions[account_id].append((instrument_id, qty, cost))
            if pnl:
                realized[account_id].append((instrument_id, pnl))
    return positions, realized


def _holdings_as_of(ids: list[int], as_of: date):
    """Positions on `as_of` from the journal (for history); cost from the posted prices is
    not needed for NAV, so it is left at zero."""
    positions = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.account_id, p.instrument_id, SUM(p.quantity) FROM ledger_posting p"
            " JOIN ledger_journalentry e ON e.id = p.entry_id"
            " WHERE p.account_id = ANY(%s) AND p.instrument_id IS NOT NULL"
            " AND e.trade_date <= %s GROUP BY 1, 2 HAVING SUM(p.quantity) <> 0",
            [ids, as_of],
        )
        for account_id, instrument_id, qty in cursor.fetchall():
            positions[account_id].append((instrument_id, qty, ZERO))
    return positions, defaultdict(list)


def cash_as_of(ids: list[int], as_of: date) -> dict[int, list[CashInput]]:
    """Trade-date, settled and withdrawable cash on `as_of`, from the journal."""
    out = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.account_id, p.currency, SUM(p.quantity),"
            " SUM(p.quantity) FILTER (WHERE e.settle_date <= %s),"
            " SUM(p.quantity) FILTER (WHERE e.settle_date > %s AND p.quantity > 0)"
            " FROM ledger_posting p JOIN ledger_journalentry e ON e.id = p.entry_id"
            " WHERE p.account_id = ANY(%s) AND p.currency <> '' AND e.trade_date <= %s"
            " GROUP BY 1, 2",
            [as_of, as_of, ids, as_of],
        )
        for account_id, ccy, balance, settled, credits in cursor.fetchall():
            out[account_id].append(
                CashInput(ccy, balance, settled or ZERO, balance - (credits or ZERO))
            )
    return out


def valuations_for_accounts(accounts: list[Account], *, as_of: date | None = None):
    """account id → Valuation, for accounts already scoped by the caller."""
    today = timezone.localdate()
    as_of = as_of or today
    ids = [a.pk for a in accounts]
    if as_of >= today:
        positions, realized = _holdings_current(ids)
        cash = defaultdict(list)
        for row in cash_rows_for_ids(ids, as_of=as_of):
            cash[row.account_id].append(
                CashInput(row.currency, row.balance, row.settled, row.withdrawable)
            )
    else:
        positions, realized = _holdings_as_of(ids, as_of)
        cash = cash_as_of(ids, as_of)
    instrument_ids = {i for rows in positions.values() for i, _, _ in rows}
    instrument_ids |= {i for rows in realized.values() for i, _ in rows}
    instruments = {i.pk: i for i in Instrument.objects.filter(pk__in=instrument_ids)}
    closes = closes_as_of(instrument_ids=instrument_ids, as_of=as_of)
    rates = usd_rates_as_of(as_of=as_of)
    out = {}
    for account in accounts:
        base = account.base_currency
        inputs = []
        for instrument_id, qty, cost in positions.get(account.pk, ()):
            inst = instruments[instrument_id]
            price, prior = closes.get(instrument_id, (ZERO, ZERO))
            inputs.append(
                PositionInput(
                    symbol=inst.symbol,
                    asset_class=inst.asset_class,
                    quantity=qty,
                    price=price,
                    multiplier=inst.multiplier,
                    fx=fx_factor(rates, currency=inst.currency, base=base),
                    cost=cost,
                    prior_price=prior,
                    prior_fx=fx_factor(rates, currency=inst.currency, base=base, prior=True),
                )
            )
        cash_inputs = [
            CashInput(
                c.currency,
                c.balance,
                c.settled,
                c.withdrawable,
                fx_factor(rates, currency=c.currency, base=base),
            )
            for c in cash.get(account.pk, ())
        ]
        realized_base = sum(
            (
                pnl * fx_factor(rates, currency=instruments[i].currency, base=base)
                for i, pnl in realized.get(account.pk, ())
            ),
            ZERO,
        )
        out[account.pk] = account_value(
            base_currency=base,
            margin_type=account.margin_type,
            positions=inputs,
            cash=cash_inputs,
            realized_pnl=realized_base,
        )
    return out


def account_valuation(*, tenant, account: Account, as_of: date | None = None) -> Valuation:
    """One account's valuation; for an advisor master, the consolidation of the master and all
    its sub-accounts in the master's base currency."""
    account = accounts_for(tenant=tenant).get(pk=account.pk)
    if account.account_type == Account.Type.MASTER:
        return account_valuation_consolidated(tenant=tenant, master=account, as_of=as_of)
    return valuations_for_accounts([account], as_of=as_of)[account.pk]


def account_valuation_consolidated(*, tenant, master: Account, as_of: date | None = None):
    accounts = list(
        accounts_for(tenant=tenant).filter(pk=master.pk)
        | accounts_for(tenant=tenant).filter(parent_id=master.pk)
    )
    valuations = valuations_for_accounts(accounts, as_of=as_of)
    rates = usd_rates_as_of(as_of=as_of or timezone.localdate())
    by_id = {a.pk: a for a in accounts}
    return consolidate(
        base_currency=master.base_currency,
        parts=[
            (v, fx_factor(rates, currency=by_id[pk].base_currency, base=master.base_currency))
            for pk, v in valuations.items()
        ],
    )
