"""Reads of the Broker Portal's clients and accounts: the listing and the account 360.

Both cost a fixed number of queries whatever the number of the tenant's accounts, positions
and postings (tests/ in desk count them at two sizes): every list is read in one query for the
whole page, valuations come from the ledger's set-based selectors, and long lists are cut
(`LIMIT`) with a link to their full page.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS

from ledger.access import PERMISSION_CODENAMES, accounts_visible
from ledger.models import Account
from ledger.selectors import (
    accounts_for,
    activity_for,
    base_currencies_for,
    cash_balances_for,
    portfolio_valuation,
    positions_for,
    valuations_for_accounts,
)

from .filters import AccountFilter

PAGE_SIZE = 50
SUBS_SHOWN = 100
POSITIONS_SHOWN = 200
ACTIVITY_SHOWN = 200
ZERO = Decimal(0)


class ListingPaginator(Paginator):
    """A `Paginator` of a queryset that reads a page in few queries, whatever the page, and
    counts at most `COUNT_UP_TO` + 1 rows.

    Counting every match of a tenant of 100,000 accounts on every page costs more than the
    page: as search engines and the listings of mature products do ("more than 1,000"), the
    matches are counted up to one past `COUNT_UP_TO` and the exact total is read only when
    asked (`exact=True`, the listing's "Count all" link).

    - A short result (`COUNT_UP_TO` matches at most) is read in one query: the ids of the
      matches unordered, up to one past the bound, then sorted by the listing's order. The
      inner `LIMIT` has no `ORDER BY`, so PostgreSQL finds a search's few matches through its
      indexes instead of walking the sort column's index hoping to meet them early (and
      reading every account of the tenant to find one).
    - A longer one pages with `LIMIT`/`OFFSET` on the ids alone (no row, no join), one id
      more than the page to learn whether another follows; the last page's total is then
      exact for free. A page past the end is answered, as `Paginator.get_page` does, with the
      last page (which takes the exact count).
    - Then only the page's rows are read whole."""

    COUNT_UP_TO = 1000
    WHOLE_BELOW = 1000  # with `exact`: the ids of a result this short are read whole

    def __init__(self, object_list, per_page, *, exact: bool = False):
        self.order = self._order(object_list)
        super().__init__(object_list, per_page)
        self.exact = exact
        self.more_than = None  # a lower bound, when the total is not known
        self._ids = None  # every match's id, in order, for a short result

    @staticmethod
    def _order(queryset) -> list[tuple[str, bool]] | None:
        """(column, descending) of the queryset's order, ending with a unique column (the
        primary key added when none is, so that a short result sorts alike every time); None
        when the order is not made of the model's own columns."""
        meta = queryset.model._meta
        order = []
        for item in queryset.query.order_by or meta.ordering or ["pk"]:
            if not isinstance(item, str):
                return None
            name = item.lstrip("-")
            field = (
                meta.pk
                if name == "pk"
                else next((f for f in meta.concrete_fields if f.name == name), None)
            )
            if field is None or field.is_relation:
                return None
            order.append(("pk" if field.primary_key else name, item.startswith("-")))
            if field.primary_key or field.unique:
                return order
        return [*order, ("pk", False)]

    def _probe(self, bottom: int) -> tuple[list[int] | None, list[int]]:
        """One query: every match's id in the listing's order if there are `COUNT_UP_TO` at
        most (else None), and otherwise the ids of the page from `bottom` (one more than a
        page, to learn whether another follows). The matches are read unordered up to one
        past the bound (a CTE read once), then sorted; the page's ids are read only when the
        bound is passed (PostgreSQL evaluates the `ARRAY(...)` only in the `CASE` taken)."""
        bound = self.COUNT_UP_TO + 1
        ids = self.object_list.values_list("pk", flat=True)
        page = ids[bottom : bottom + self.per_page + 1]
        if self.order is None:
            if self.object_list.order_by().values("pk")[:bound].count() < bound:
                return list(ids), []
            return None, list(page)
        names = list(dict.fromkeys(["pk", *(name for name, _ in self.order)]))
        inner_sql, inner_params = (
            self.object_list.order_by().values_list(*names)[:bound].query.sql_with_params()
        )
        page_sql, page_params = page.query.sql_with_params()
        columns = ", ".join(f"c{i}" for i in range(len(names)))
        order_by = ", ".join(
            f"c{names.index(name)} {'DESC' if descending else 'ASC'}"
            for name, descending in self.order
        )
        # Column names and directions are ours; every value is a parameter.
        sql = (
            f"WITH matches AS MATERIALIZED ({inner_sql}) "  # noqa: S608
            f"SELECT ARRAY(SELECT c0 FROM matches AS m ({columns}) ORDER BY {order_by}), "
            f"CASE WHEN (SELECT count(*) FROM matches) > {self.COUNT_UP_TO} "
            f"THEN ARRAY({page_sql}) END"
        )
        with connections[self.object_list.db].cursor() as cursor:
            cursor.execute(sql, (*inner_params, *page_params))
            short, paged = cursor.fetchone()
        return (None, list(paged)) if paged is not None else (list(short), [])

    def get_page(self, number):
        if self.exact:
            return super().get_page(number)
        try:
            wanted = max(int(number), 1)
        except (TypeError, ValueError):
            wanted = 1
        bottom = (wanted - 1) * self.per_page
        self._ids, ids = self._probe(bottom)
        if self._ids is not None:
            self.__dict__["count"] = len(self._ids)
            return super().get_page(number)
        if not ids:
            return super().get_page(number)  # past the end: the last page, counted exactly
        if len(ids) > self.per_page:
            ids = ids[: self.per_page]
            self.more_than = max(self.COUNT_UP_TO, bottom + self.per_page)
        else:
            self.__dict__["count"] = bottom + len(ids)
        return OpenEndedPage(self._rows(ids), wanted, self)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if self._ids is not None:
            ids = self._ids[bottom:top]
        elif self.count <= self.WHOLE_BELOW:
            ids = list(self.object_list.values_list("pk", flat=True))[bottom:top]
        else:
            ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        return self._get_page(self._rows(ids), number, self)

    def _rows(self, ids: list[int]) -> list:
        rows = {row.pk: row for row in self.object_list.order_by().filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]


class OpenEndedPage(Page):
    """A page of a `ListingPaginator` whose total is not counted (more than `COUNT_UP_TO`):
    whether a next page exists is known from the ids read with it."""

    def has_next(self) -> bool:
        return self.paginator.more_than is not None

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + 1

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1


def visible_accounts(*, user, tenant):
    return accounts_visible(user=user, tenant=tenant).exclude(account_type=Account.Type.PLATFORM)


@dataclass
class AccountListing:
    filterset: AccountFilter
    page: object  # django Page of Account
    rows: list[dict]
    total: int | None  # None: more than `more_than`, not counted (ListingPaginator)
    more_than: int | None = None

    @property
    def num_pages(self) -> int | None:
        return self.page.paginator.num_pages if self.total is not None else None


def _masters(visible) -> list[tuple[int, str, str]]:
    return list(
        visible.filter(account_type=Account.Type.MASTER)
        .order_by("number")
        .values_list("pk", "number", "title")
    )


def account_listing(
    *, request, data, page_number, per_page: int = PAGE_SIZE, exact: bool = False
) -> AccountListing:
    """The accounts `request.user` may see, searched, filtered, sorted and cut to one page,
    each with its master, holder e-mail and NLV in its base currency; counted up to
    `ListingPaginator.COUNT_UP_TO` unless `exact`. Queries: the user's grants, the masters
    and base currencies offered as filters, the count, the page's ids and rows, the holders'
    e-mails and three for the valuations."""
    tenant = request.tenant
    visible = visible_accounts(user=request.user, tenant=tenant)
    filterset = AccountFilter(
        data,
        queryset=visible.select_related("parent"),
        request=request,
        currencies=_base_currencies(request=request, visible=visible),
        masters=_masters(visible),
    )
    queryset = filterset.qs
    if not (data.get("sort") and filterset.is_valid()):
        queryset = queryset.order_by("number")
    paginator = ListingPaginator(queryset, per_page, exact=exact)
    page = paginator.get_page(page_number)
    accounts = list(page.object_list)
    return AccountListing(
        filterset=filterset,
        page=page,
        rows=_listing_rows(tenant=tenant, accounts=accounts),
        total=None if paginator.more_than is not None else paginator.count,
        more_than=paginator.more_than,
    )


def _base_currencies(*, request, visible) -> list[str]:
    """The base currencies offered as a filter: those of the accounts the user sees (read
    through an index for a user who sees the whole tenant)."""
    if request.user.is_superuser:
        return base_currencies_for(tenant=request.tenant)
    return sorted(visible.order_by().values_list("base_currency", flat=True).distinct())


def account_export_rows(*, request, data, limit: int = 100_000) -> list[Account]:
    """Every account of the listing's search and filters (not only one page), for the CSV."""
    visible = visible_accounts(user=request.user, tenant=request.tenant)
    filterset = AccountFilter(
        data,
        queryset=visible.select_related("parent"),
        request=request,
        currencies=_base_currencies(request=request, visible=visible),
        masters=_masters(visible),
    )
    queryset = filterset.qs
    if not data.get("sort"):
        queryset = queryset.order_by("number")
    return list(queryset[:limit])


def _holder_emails(account_ids: list[int]) -> dict[int, str]:
    from onboarding.models import Application

    emails: dict[int, str] = {}
    for account_id, email in (
        Application.objects.filter(account_id__in=account_ids)
        .order_by("account_id", "-created_at")
        .values_list("account_id", "email")
    ):
        emails.setdefault(account_id, email)
    return emails


def _listing_rows(*, tenant, accounts: list[Account]) -> list[dict]:
    if not accounts:
        return []
    emails = _holder_emails([a.pk for a in accounts])
    try:
        valuations = valuations_for_accounts(
            tenant=tenant, account_ids=accounts, with_positions=False
        )
    except LookupError:
        # A currency without an FX rate: no NLV on this page rather than a wrong one (the
        # exception report lists the missing rate).
        valuations = {}
    # What the page shows of each row, as text: a page of 50 rows asking the template for
    # choice labels (`get_FOO_display`), `{% url %}` and `floatformat` cost more CPU than
    # the rest of the page together.
    types, statuses, margins = (
        {value: str(label) for value, label in choices.choices}
        for choices in (Account.Type, Account.Status, Account.MarginType)
    )
    url = reverse("desk_account", args=["-number-"])
    cent = Decimal("0.01")
    rows = []
    for a in accounts:
        nlv = valuations[a.pk].nlv if a.pk in valuations else None
        rows.append(
            {
                "account": a,
                "email": emails.get(a.pk, ""),
                "nlv": nlv,
                "nlv_text": "" if nlv is None else f"{nlv.quantize(cent, ROUND_HALF_UP):f}",
                "url": url.replace("-number-", quote(a.number, safe=RFC3986_SUBDELIMS + "~:@")),
                "type": types.get(a.account_type, a.account_type),
                "status": statuses.get(a.status, a.status),
                "margin": margins.get(a.margin_type, a.margin_type),
                "master": a.parent.number if a.parent_id else "",
            }
        )
    return rows


# --- the account 360 ------------------------------------------------------------------------


@dataclass
class Grant:
    who: str
    via: str  # "user" or "role"
    on: str  # the account number the grant is held on (the account itself or its master)
    needs: list[str] = field(default_factory=list)


@dataclass
class Account360:
    account: Account
    application: object | None
    documents: list
    valuation: object  # consolidated for a master; None when an FX rate is missing
    valuation_error: str
    subs: list[dict]  # a master's sub-accounts (first SUBS_SHOWN) with their NLV
    subs_total: int
    positions: list
    cash: list[dict]  # per currency: balance, settled
    activity: list
    statements: list
    clients: list
    threads: list
    grants: list[Grant]
    audit: list
    activity_start: dt.date
    activity_end: dt.date


def application_for(account: Account):
    from onboarding.models import Application

    return (
        Application.objects.filter(Q(account_id=account.pk))
        .select_related("user", "assigned_to")
        .order_by("-created_at")
        .first()
    )


def _grants_for(account: Account) -> list[Grant]:
    """Who holds which rights on the account, directly or through its master: two queries."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    keys = [str(account.pk)] + ([str(account.parent_id)] if account.parent_id else [])
    numbers = {str(account.pk): account.number}
    if account.parent_id:
        numbers[str(account.parent_id)] = account.parent.number
    needs = {codename: need for need, codename in PERMISSION_CODENAMES.items()}
    needs["view_account"] = "view"
    common = {
        "content_type__app_label": "ledger",
        "content_type__model": "account",
        "object_pk__in": keys,
        "permission__codename__in": list(needs),
    }
    grants: dict[tuple, Grant] = {}
    for object_pk, who, codename in UserObjectPermission.objects.filter(**common).values_list(
        "object_pk", "user__username", "permission__codename"
    ):
        grant = grants.setdefault(("user", who, object_pk), Grant(who, "user", numbers[object_pk]))
        grant.needs.append(needs[codename])
    for object_pk, who, codename in GroupObjectPermission.objects.filter(**common).values_list(
        "object_pk", "group__name", "permission__codename"
    ):
        grant = grants.setdefault(("role", who, object_pk), Grant(who, "role", numbers[object_pk]))
        grant.needs.append(needs[codename])
    order = {need: i for i, need in enumerate(("view", "trade", "fund", "report"))}
    for grant in grants.values():
        grant.needs.sort(key=order.get)
    return sorted(grants.values(), key=lambda g: (g.on != account.number, g.via, g.who))


def clients_for(account: Account, application) -> list:
    """The account's clients: the holder's login from the application, then the clients
    granted the account (two queries)."""
    from branding.statements.selectors import clients_of_accounts

    clients = list(clients_of_accounts(account_ids=[account.pk]).get(account.pk, []))
    if application is not None and application.user_id:
        clients = [application.user] + [c for c in clients if c.pk != application.user_id]
    return clients


def _threads_for(clients: list) -> list:
    from clientportal.selectors import threads_for_staff

    if not clients:
        return []
    return list(threads_for_staff().filter(client_id__in=[c.pk for c in clients])[:20])


def account_360(
    *,
    tenant,
    account: Account,
    activity_start: dt.date | None = None,
    activity_end: dt.date | None = None,
    activity_kinds=None,
) -> Account360:
    """Everything the 360 page shows of an account the caller has reached through
    `ledger.access` (its master consolidated with every sub-account)."""
    from branding.statements.selectors import statements_for
    from compliance.models import AuditRecord

    today = timezone.localdate()
    activity_end = activity_end or today
    activity_start = activity_start or activity_end - dt.timedelta(days=90)
    is_master = account.account_type == Account.Type.MASTER
    scope = [account]
    subs, subs_total = [], 0
    if is_master:
        sub_accounts = list(
            accounts_for(tenant=tenant).filter(parent_id=account.pk).order_by("number")
        )
        subs_total = len(sub_accounts)
        scope = [account, *sub_accounts]
    valuation, valuation_error = None, ""
    try:
        valued = portfolio_valuation(
            tenant=tenant,
            account_ids=scope,
            base_currency=account.base_currency,
            with_positions=False,
        )
        valuation = valued.consolidated([a.pk for a in scope], base_currency=account.base_currency)
    except LookupError as missing:
        valued, valuation_error = None, str(missing)
    if is_master:
        subs = [
            {"account": sub, "nlv": valued.by_account[sub.pk].nlv if valued else None}
            for sub in scope[1 : SUBS_SHOWN + 1]
        ]
    cash: dict[str, dict] = defaultdict(lambda: {"balance": ZERO, "settled": ZERO})
    for row in cash_balances_for(tenant=tenant, account_ids=scope):
        cash[row.currency]["balance"] += row.balance
        cash[row.currency]["settled"] += row.settled
    application = application_for(account)
    clients = clients_for(account, application)
    documents = list(application.documents.all()) if application is not None else []
    activity = activity_for(
        tenant=tenant,
        account_ids=[account],
        start=activity_start,
        end=activity_end,
        kinds=activity_kinds,
    )[:ACTIVITY_SHOWN]
    audit_targets = [f"account:{account.number}"]
    if application is not None:
        audit_targets.append(f"application:{application.pk}")
    return Account360(
        account=account,
        application=application,
        documents=documents,
        valuation=valuation,
        valuation_error=valuation_error,
        subs=subs,
        subs_total=subs_total,
        positions=list(positions_for(tenant=tenant, account_ids=scope)[:POSITIONS_SHOWN]),
        cash=[{"currency": c, **figures} for c, figures in sorted(cash.items())],
        activity=activity,
        statements=list(statements_for(tenant=tenant, account_ids=[account.pk])[:20]),
        clients=clients,
        threads=_threads_for(clients),
        grants=_grants_for(account),
        audit=list(AuditRecord.objects.filter(target__in=audit_targets)[:50]),
        activity_start=activity_start,
        activity_end=activity_end,
    )
