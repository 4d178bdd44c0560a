"""The ledger reads behind a batch of statements: each made once for all the batch's accounts
(tenant-scoped, through the ledger's selectors), so a batch of any size costs about twenty
queries. `data.py` assembles each statement from them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max

from ledger import selectors as ledger_selectors
from ledger.models import Account, Instrument
from ledger.selectors import Activity, PortfolioValuation

# The benchmark shown beside the account's returns when the ledger has its prices.
BENCHMARK_SYMBOL = "SPY"


@dataclass
class LedgerReads:
    """What the statements of a batch of accounts need from the ledger, each read once for
    all of them (a fixed number of queries however many accounts)."""

    tenant: object
    start: dt.date
    end: dt.date
    day_before: dt.date
    rates: dict  # USD rates at the period's end: every amount is converted at them
    before: PortfolioValuation  # every account at the close before the period
    after: PortfolioValuation  # ... and at the close of its last day
    activity: dict[int, list[Activity]]
    realized: dict[int, list]
    instruments: dict[str, Instrument]
    cash_before: dict[int, list]
    cash_after: dict[int, list]
    pair_events: dict[tuple[int, int], list]
    # account → (day, nav, flows), from the last NAV on or before `day_before`
    nav_rows: dict[int, list[tuple[dt.date, Decimal, Decimal]]]
    benchmark: list[tuple[dt.date, Decimal]]
    holders: dict[int, str]


def account_scopes(tenant, accounts: list[Account]) -> dict[int, list[Account]]:
    """account id → the accounts its statement covers: itself, and a master's subs."""
    masters = [a.pk for a in accounts if a.account_type == Account.Type.MASTER]
    subs: dict[int, list[Account]] = defaultdict(list)
    if masters:
        for sub in (
            ledger_selectors.accounts_for(tenant=tenant)
            .filter(parent_id__in=masters)
            .order_by("pk")
        ):
            subs[sub.parent_id].append(sub)
    return {a.pk: [a, *subs.get(a.pk, ())] for a in accounts}


def ledger_reads(tenant, scopes, start: dt.date, end: dt.date) -> LedgerReads:
    everyone = list({a.pk: a for scope in scopes.values() for a in scope}.values())
    ids = [a.pk for a in everyone]
    day_before = start - dt.timedelta(days=1)
    after = ledger_selectors.portfolio_valuation(tenant=tenant, account_ids=everyone, as_of=end)
    activity: dict[int, list[Activity]] = defaultdict(list)
    for row in ledger_selectors.activity_for(tenant=tenant, account_ids=ids, start=start, end=end):
        activity[row.account_id].append(row)
    realized: dict[int, list] = defaultdict(list)
    for gain in ledger_selectors.realized_for(tenant=tenant, account_ids=ids, start=start, end=end):
        realized[gain.account_id].append(gain)
    symbols = {a.symbol for rows in activity.values() for a in rows if a.symbol}
    symbols |= {p.symbol for v in after.by_account.values() for p in v.positions}
    instruments = ledger_selectors.instruments_by_symbol(tenant=tenant, symbols=symbols)
    held_ids = {
        instruments[p.symbol].pk
        for v in after.by_account.values()
        for p in v.positions
        if p.quantity
    }
    # Returns open on the last NAV on or before the close before the period (a period that
    # starts after a weekend opens on the Friday); with none, the accounts opened inside it.
    opening = ledger_selectors.nav_history_for(
        tenant=tenant, account_ids=ids, start=dt.date.min, end=day_before
    ).aggregate(day=Max("date"))["day"]
    nav_rows: dict[int, list] = defaultdict(list)
    for account_id, day, nav, flows in ledger_selectors.nav_history_for(
        tenant=tenant, account_ids=ids, start=opening or day_before, end=end
    ).values_list("account_id", "date", "nav", "flows"):
        nav_rows[account_id].append((day, nav, flows))
    return LedgerReads(
        tenant=tenant,
        start=start,
        end=end,
        day_before=day_before,
        rates=after.rates,
        before=ledger_selectors.portfolio_valuation(
            tenant=tenant, account_ids=everyone, as_of=day_before
        ),
        after=after,
        activity=activity,
        realized=realized,
        instruments=instruments,
        cash_before=ledger_selectors.cash_as_of_for(
            tenant=tenant, account_ids=everyone, as_of=day_before
        ),
        cash_after=ledger_selectors.cash_as_of_for(tenant=tenant, account_ids=everyone, as_of=end),
        pair_events=ledger_selectors.pair_events_for(
            tenant=tenant, account_ids=everyone, instrument_ids=sorted(held_ids)
        ),
        nav_rows=nav_rows,
        benchmark=ledger_selectors.benchmark_closes_for(
            tenant=tenant, symbol=BENCHMARK_SYMBOL, start=day_before, end=end
        ),
        holders=holder_names([scope[0] for scope in scopes.values()]),
    )


def holder_names(accounts: Sequence[Account]) -> dict[int, str]:
    from branding.statements.selectors import clients_of_accounts

    clients = clients_of_accounts(account_ids=[a.pk for a in accounts])
    out = {}
    for account in accounts:
        first = next(iter(clients.get(account.pk, ())), None)
        out[account.pk] = (first.get_full_name() if first else "") or account.title
    return out
