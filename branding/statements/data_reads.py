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
from ledger.market import usd_rates_as_of
from ledger.models import Account, Instrument, Price
from ledger.projections import pair_events_load_many
from ledger.selectors import Activity
from ledger.selectors_valuation import cash_as_of, valuations_for_accounts
from ledger.valuation import Valuation

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
    before: dict[int, Valuation]  # account id → valuation at the close before the period
    after: dict[int, Valuation]  # ... and at the close of its last day
    before_rates: dict  # USD rates the day before (a master's starting value is consolidated)
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
    has_masters = any(s[0].account_type == Account.Type.MASTER for s in scopes.values())
    after = valuations_for_accounts(everyone, as_of=end)
    activity: dict[int, list[Activity]] = defaultdict(list)
    for row in ledger_selectors.activity_for(tenant=tenant, account_ids=ids, start=start, end=end):
        activity[row.account_id].append(row)
    realized: dict[int, list] = defaultdict(list)
    for gain in ledger_selectors.realized_for(tenant=tenant, account_ids=ids, start=start, end=end):
        realized[gain.account_id].append(gain)
    symbols = {a.symbol for rows in activity.values() for a in rows if a.symbol}
    symbols |= {p.symbol for v in after.values() for p in v.positions}
    instruments = {i.symbol: i for i in Instrument.objects.filter(symbol__in=symbols)}
    held_ids = {instruments[p.symbol].pk for v in after.values() for p in v.positions if p.quantity}
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
        rates=usd_rates_as_of(as_of=end),
        before=valuations_for_accounts(everyone, as_of=day_before),
        after=after,
        before_rates=usd_rates_as_of(as_of=day_before) if has_masters else {},
        activity=activity,
        realized=realized,
        instruments=instruments,
        cash_before=cash_as_of(ids, day_before),
        cash_after=cash_as_of(ids, end),
        pair_events=pair_events_load_many(ids, sorted(held_ids)),
        nav_rows=nav_rows,
        benchmark=list(
            Price.objects.filter(
                instrument__in=Instrument.objects.filter(symbol=BENCHMARK_SYMBOL),
                date__range=(day_before, end),
            )
            .order_by("date")
            .values_list("date", "close")
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
