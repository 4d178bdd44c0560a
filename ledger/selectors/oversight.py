"""Reads for the staff's oversight of a tenant's books: the account listing's cash filter, and
the set-based figures behind the exception reports (negative cash, margin deficits, dormant
accounts). Each is a fixed number of queries whatever the number of accounts. Paper accounts
are simulations and never an exception."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Exists, OuterRef, QuerySet

from ledger.models import Account, CashBalance, JournalEntry, Position, Posting
from ledger.selectors.accounts import accounts_for, instant_of, microseconds_of
from ledger.selectors.valuation import valuations_for_accounts


def accounts_with_negative_cash(accounts: QuerySet[Account], *, negative: bool = True):
    """`accounts` (already scoped by the caller) narrowed to those with (or, with
    `negative=False`, without) a negative trade-date cash balance in any currency."""
    below_zero = Exists(CashBalance.objects.filter(account_id=OuterRef("pk"), quantity__lt=0))
    return accounts.filter(below_zero if negative else ~below_zero)


class NegativeCash(NamedTuple):
    """A row of `negative_cash_for` (a named tuple: reports read tens of thousands)."""

    account_id: int
    number: str
    title: str
    currency: str
    balance: Decimal


def negative_cash_for(*, tenant) -> list[NegativeCash]:
    """Every negative trade-date cash balance of the tenant's accounts: one query."""
    rows = (
        CashBalance.objects.filter(
            account__tenant_id=tenant.pk,
            quantity__lt=0,
            account__account_type__in=_CLIENT_TYPES,
            account__is_paper=False,
        )
        .order_by("quantity", "account__number")
        .values_list("account_id", "account__number", "account__title", "currency", "quantity")
    )
    return [NegativeCash._make(row) for row in rows]


_CLIENT_TYPES = [t for t in Account.Type.values if t != Account.Type.PLATFORM]


@dataclass(frozen=True)
class MarginDeficit:
    account_id: int
    number: str
    title: str
    currency: str
    excess_liquidity: Decimal


def margin_deficits_for(*, tenant) -> list[MarginDeficit]:
    """The tenant's Reg T margin accounts whose excess liquidity is below zero (FINRA Rule 4210
    maintenance requirement not met): four queries whatever the number of accounts."""
    accounts = list(
        accounts_for(tenant=tenant).filter(
            margin_type=Account.MarginType.REG_T,
            status__in=[Account.Status.OPEN, Account.Status.RESTRICTED],
            is_paper=False,
        )
    )
    if not accounts:
        return []
    try:
        valuations = valuations_for_accounts(
            tenant=tenant, account_ids=accounts, with_positions=False
        )
    except LookupError:
        # A currency without an FX rate values nothing; the missing rate is its own exception
        # (`missing_prices_for`), never a deficit computed at a rate of zero.
        return []
    return [
        MarginDeficit(a.pk, a.number, a.title, a.base_currency, valuations[a.pk].excess_liquidity)
        for a in accounts
        if valuations[a.pk].excess_liquidity < 0
    ]


class DormantAccount(NamedTuple):
    """A row of `dormant_accounts_for` (a named tuple: reports read up to every account)."""

    account_id: int
    number: str
    title: str
    opened_at: object


def dormant_accounts_for(*, tenant, since: date) -> list[DormantAccount]:
    """Open accounts of the tenant (masters aside) opened before `since` without any journal
    entry dated on or after it: one query (recent entries found by their date index, then their
    postings by entry)."""
    recent = Posting.objects.filter(
        entry_id__in=JournalEntry.objects.filter(trade_date__gte=since).values("id"),
        account_id=OuterRef("pk"),
    )
    rows = (
        accounts_for(tenant=tenant)
        .filter(status=Account.Status.OPEN, opened_at__date__lt=since, is_paper=False)
        .exclude(account_type=Account.Type.MASTER)
        .filter(~Exists(recent))
        .order_by("number")
        .values_list("pk", "number", "title", microseconds_of("opened_at"))
    )
    return [DormantAccount(pk, number, title, instant_of(us)) for pk, number, title, us in rows]


def margin_accounts_touched(
    *,
    tenant,
    account_ids: list[int],
    instrument_ids: list[int],
    everything: bool,
    statuses: tuple[str, ...],
) -> set[tuple[int, int]]:
    """(account id, tenant id) of the Reg T margin accounts in `statuses` (paper accounts
    aside) among `account_ids` or holding one of `instrument_ids` (every one, `everything`):
    the margin monitor's accounts after a booking or a market-data load. `tenant=None` reads
    every tenant's (the platform's monitor after a shared price or FX load). A query for
    each, by the account key and the positions' instrument index."""
    filters = {
        "margin_type": Account.MarginType.REG_T,
        "status__in": list(statuses),
        "tenant_id__isnull": False,
        "is_paper": False,
    }
    if tenant is not None:
        filters["tenant_id"] = tenant.pk
    margin = Account.objects.filter(**filters)
    rows: set[tuple[int, int]] = set()
    if everything:
        rows.update(margin.values_list("pk", "tenant_id"))
        return rows
    if account_ids:
        rows.update(margin.filter(pk__in=account_ids).values_list("pk", "tenant_id"))
    if instrument_ids:
        rows.update(
            Position.objects.filter(
                instrument_id__in=instrument_ids,
                **{f"account__{name}": value for name, value in filters.items()},
            )
            .exclude(quantity=0)
            .values_list("account_id", "account__tenant_id")
            .distinct()
        )
    return rows
