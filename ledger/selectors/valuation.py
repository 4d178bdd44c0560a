"""Valuation reads: an account's, a master's or a client's accounts' NLV, margin and P&L in a
base currency, computed by the pure `ledger.domain.valuation` from a fixed number of queries
whatever the number of accounts and positions.

Consolidation (several accounts as one figure) is `PortfolioValuation.consolidated`: each
account's valuation converted from its base currency with the same FX rates its positions were
valued at, then summed (`ledger.domain.valuation.consolidate`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from django.db import connection
from django.utils import timezone

from ledger.domain.fx import UsdRates, fx_factor
from ledger.domain.valuation import (
    CashInput,
    PositionInput,
    Valuation,
    account_value,
    consolidate,
)
from ledger.models import Account
from ledger.selectors.accounts import Accounts, accounts_for, accounts_scoped
from ledger.selectors.holdings import CashRow, cash_as_of, cash_rows_for_ids
from ledger.selectors.market import usd_rates_as_of

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
HOLDINGS_SQL = (
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
            cursor.execute(HOLDINGS_SQL, [as_of, ids])
        else:
            cursor.execute(_AS_OF, [ids, as_of, as_of])
        return cursor.fetchall()


def _valuations(
    accounts: list[Account], *, as_of: date, rates: UsdRates, with_positions: bool
) -> dict[int, Valuation]:
    """account id → Valuation of accounts already scoped, valued at `rates`: two queries
    whatever the number of accounts and positions."""
    ids = [a.pk for a in accounts]
    current = as_of >= timezone.localdate()
    if current:
        cash = cash_inputs_by_account(cash_rows_for_ids(ids, as_of=as_of))
    else:
        cash = cash_as_of(ids, as_of)
    holdings = defaultdict(list)
    for row in _holdings(ids, as_of, current=current):
        holdings[row[0]].append(row)
    return valuations_from(
        accounts, cash=cash, holdings=holdings, rates=rates, with_positions=with_positions
    )


def cash_inputs_by_account(rows: Iterable[CashRow]) -> dict[int, list[CashInput]]:
    cash: dict[int, list[CashInput]] = defaultdict(list)
    for row in rows:
        cash[row.account_id].append(
            CashInput(row.currency, row.balance, row.settled, row.withdrawable)
        )
    return cash


def valuations_from(
    accounts: list[Account],
    *,
    cash: dict[int, list[CashInput]],
    holdings: dict[int, list[tuple]],
    rates: UsdRates,
    with_positions: bool,
) -> dict[int, Valuation]:
    """account id → Valuation from cash and holdings already read (`HOLDINGS_SQL`'s rows)."""
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


def valuations_for_accounts(
    *,
    tenant,
    account_ids: Accounts,
    as_of: date | None = None,
    with_positions: bool = True,
) -> dict[int, Valuation]:
    """account id → Valuation of the tenant's accounts among `account_ids` (ids, or `Account`
    objects already obtained through `ledger.access`): three queries whatever the number of
    accounts and positions, and one more to read accounts given by id."""
    as_of = as_of or timezone.localdate()
    accounts = accounts_scoped(tenant=tenant, account_ids=account_ids)
    return _valuations(
        accounts, as_of=as_of, rates=usd_rates_as_of(as_of=as_of), with_positions=with_positions
    )


@dataclass(frozen=True)
class PortfolioValuation:
    """Accounts valued on one day at one set of FX rates: each on its own (`by_account`, in its
    base currency) and consolidated (`total`, in `base_currency`)."""

    as_of: date
    base_currency: str
    accounts: tuple[Account, ...]  # the tenant's accounts valued, in the order given
    by_account: dict[int, Valuation]
    rates: UsdRates  # the USD rates every figure was converted at

    def consolidated(self, account_ids: Iterable[int], *, base_currency: str) -> Valuation:
        """The accounts `account_ids` (of `by_account`) as one valuation in `base_currency`."""
        bases = {a.pk: a.base_currency for a in self.accounts}
        return consolidate(
            base_currency=base_currency,
            parts=[
                (
                    self.by_account[pk],
                    fx_factor(self.rates, currency=bases[pk], base=base_currency),
                )
                for pk in account_ids
            ],
        )

    @cached_property
    def total(self) -> Valuation:
        """Every account in `base_currency`; one account is its own valuation (with its
        positions)."""
        if len(self.by_account) == 1:
            [only] = self.by_account.values()
            return only
        return self.consolidated(self.by_account, base_currency=self.base_currency)


def portfolio_valuation(
    *,
    tenant,
    account_ids: Accounts,
    as_of: date | None = None,
    base_currency: str | None = None,
    with_positions: bool = True,
) -> PortfolioValuation:
    """The tenant's accounts among `account_ids` valued on `as_of` (default today), one FX read
    for the positions, the cash and the consolidation. `base_currency` defaults to the first
    account's. Consolidating is left to `total` and `consolidated`, so a missing rate between
    two base currencies refuses only the figure that needs it. Four queries at most (three
    when the accounts are `Account` objects)."""
    as_of = as_of or timezone.localdate()
    accounts = accounts_scoped(tenant=tenant, account_ids=account_ids)
    rates = usd_rates_as_of(as_of=as_of)
    return PortfolioValuation(
        as_of=as_of,
        base_currency=base_currency or (accounts[0].base_currency if accounts else "USD"),
        accounts=tuple(accounts),
        by_account=_valuations(accounts, as_of=as_of, rates=rates, with_positions=with_positions),
        rates=rates,
    )


def account_valuation(*, tenant, account: Account, as_of: date | None = None) -> Valuation:
    """One account's valuation; for an advisor master, the consolidation of the master and all
    its sub-accounts in the master's base currency."""
    account = accounts_for(tenant=tenant).get(pk=account.pk)
    if account.account_type == Account.Type.MASTER:
        return account_valuation_consolidated(tenant=tenant, master=account, as_of=as_of)
    return valuations_for_accounts(tenant=tenant, account_ids=[account], as_of=as_of)[account.pk]


def account_valuation_consolidated(
    *, tenant, master: Account, as_of: date | None = None
) -> Valuation:
    accounts = list(
        accounts_for(tenant=tenant).filter(pk=master.pk)
        | accounts_for(tenant=tenant).filter(parent_id=master.pk)
    )
    valuation = portfolio_valuation(
        tenant=tenant, account_ids=accounts, as_of=as_of, with_positions=False
    )
    return valuation.consolidated(valuation.by_account, base_currency=master.base_currency)
