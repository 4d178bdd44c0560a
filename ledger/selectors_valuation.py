"""Valuation reads: an account's or a master's consolidated NLV, margin and P&L in its base
currency, computed by the pure `ledger.valuation` from a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from ledger.market import fx_factor, usd_rates_as_of
from ledger.models import Account
from ledger.selectors import accounts_for, cash_rows_for_ids
from ledger.valuation import CashInput, PositionInput, Valuation, account_value, consolidate

ZERO = Decimal(0)


# One row per holding with its instrument and its last two closes on or before the day.
# Numbers come without trailing zeros (`trim_scale`): the same values, but shorter to read and
# far cheaper to multiply than at the columns' full scale (a 1,000-position valuation spent half
# its arithmetic on zeros).
_HOLDING_COLUMNS = (
    "i.symbol, i.asset_class, i.currency, trim_scale(i.multiplier), px.closes[1], px.closes[2] "
    "FROM {source} "
    "JOIN ledger_instrument i ON i.id = h.instrument_id "
    "LEFT JOIN LATERAL (SELECT ARRAY(SELECT trim_scale(close) FROM ledger_price "
    "WHERE instrument_id = h.instrument_id AND date <= %s ORDER BY date DESC LIMIT 2) AS closes"
    ") px ON TRUE"
)
_CURRENT = (
    "SELECT h.account_id, trim_scale(h.quantity), trim_scale(h.cost), "
    "trim_scale(h.realized_pnl), "
    + _HOLDING_COLUMNS.format(source="ledger_position h")
    + " WHERE h.account_id = ANY(%s) AND (h.quantity <> 0 OR h.realized_pnl <> 0)"
)
_AS_OF = "SELECT h.account_id, trim_scale(h.quantity), 0, 0, " + _HOLDING_COLUMNS.format(
    source="(SELECT p.account_id, p.instrument_id, SUM(p.quantity) AS quantity "
    "FROM ledger_posting p JOIN ledger_journalentry e ON e.id = p.entry_id "
    "WHERE p.account_id = ANY(%s) AND p.instrument_id IS NOT NULL AND e.trade_date <= %s "
    "GROUP BY 1, 2 HAVING SUM(p.quantity) <> 0) h"
)


def _holdings(ids: list[int], as_of: date, *, current: bool) -> list[tuple]:
    with connection.cursor() as cursor:
        if current:
            cursor.execute(_CURRENT, [as_of, ids])
        else:
            cursor.execute(_AS_OF, [ids, as_of, as_of])
        return cursor.fetchall()


def cash_as_of(ids: list[int], as_of: date) -> dict[int, list[CashInput]]:
    """Trade-date, settled and withdrawable cash on `as_of`, from the journal."""
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


def valuations_for_accounts(
    accounts: list[Account], *, as_of: date | None = None, with_positions: bool = True
) -> dict[int, Valuation]:
    """account id → Valuation, for accounts already scoped by the caller: three queries
    whatever the number of accounts and positions."""
    today = timezone.localdate()
    as_of = as_of or today
    ids = [a.pk for a in accounts]
    current = as_of >= today
    if current:
        cash = defaultdict(list)
        for row in cash_rows_for_ids(ids, as_of=as_of):
            cash[row.account_id].append(
                CashInput(row.currency, row.balance, row.settled, row.withdrawable)
            )
    else:
        cash = cash_as_of(ids, as_of)
    rates = usd_rates_as_of(as_of=as_of)
    holdings = defaultdict(list)
    for row in _holdings(ids, as_of, current=current):
        holdings[row[0]].append(row)
    out = {}
    for account in accounts:
        base = account.base_currency
        fx_now, fx_prior = {}, {}
        inputs, realized = [], ZERO
        for _, qty, cost, pnl, symbol, asset_class, ccy, mult, close, prior in holdings.get(
            account.pk, ()
        ):
            if ccy not in fx_now:
                fx_now[ccy] = fx_factor(rates, currency=ccy, base=base)
                fx_prior[ccy] = fx_factor(rates, currency=ccy, base=base, prior=True)
            if pnl:
                realized += pnl * fx_now[ccy]
            if not qty:
                continue
            price = ZERO if close is None else close
            prior = price if prior is None else prior
            inputs.append(
                PositionInput(
                    symbol, asset_class, qty, price, mult, fx_now[ccy], cost, prior, fx_prior[ccy]
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
        out[account.pk] = account_value(
            base_currency=base,
            margin_type=account.margin_type,
            positions=inputs,
            cash=cash_inputs,
            realized_pnl=realized,
            with_positions=with_positions,
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
    valuations = valuations_for_accounts(accounts, as_of=as_of, with_positions=False)
    rates = usd_rates_as_of(as_of=as_of or timezone.localdate())
    by_id = {a.pk: a for a in accounts}
    return consolidate(
        base_currency=master.base_currency,
        parts=[
            (v, fx_factor(rates, currency=by_id[pk].base_currency, base=master.base_currency))
            for pk, v in valuations.items()
        ],
    )
