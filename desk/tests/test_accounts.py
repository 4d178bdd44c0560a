"""Clients and accounts in the Broker Portal: the listing (search, filters, sort, pages, CSV,
only visible accounts), the account 360 and its staff actions, and their query counts."""

import csv
import datetime as dt
import io
from decimal import Decimal

import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context
from guardian.shortcuts import assign_perm

from compliance.models import AuditRecord
from ledger.models import Account, CashBalance
from ledger.services import account_open, cash_deposit
from onboarding.models import Application
from tenants.middleware import tenant_lookups_clear
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client


def _officer(tenant, username="desk-officer", roles=("Onboarding Officer",)):
    officer = user_make(tenant=tenant, username=username, roles=list(roles))
    return officer, login(tenant_client(tenant), officer, tenant)


def _grant(tenant, user, accounts, need="view"):
    with tenant_context(tenant):
        for account in accounts:
            assign_perm(f"ledger.{need}_account", user, account)


def _bulk_accounts(tenant, count, *, prefix, parent=None):
    accounts = Account.objects.bulk_create(
        Account(
            tenant=tenant,
            number=f"{prefix}{i:06d}",
            title=f"Bulk Holder {prefix} {i}",
            account_type="sub" if parent else "individual",
            parent=parent,
        )
        for i in range(count)
    )
    CashBalance.objects.bulk_create(
        CashBalance(account=a, currency="USD", quantity=Decimal(-5 if i % 7 == 0 else 10))
        for i, a in enumerate(accounts)
    )
    return accounts


def test_listing_finds_a_client_by_part_of_the_name_and_email(tenant_a):
    # given
    officer, client = _officer(tenant_a)
    theodora = account_open(tenant=tenant_a, title="Theodora Quist", account_type="individual")
    other = account_open(tenant=tenant_a, title="Marcus Brandt", account_type="individual")
    hidden = account_open(tenant=tenant_a, title="Theodore Hidden", account_type="individual")
    _grant(tenant_a, officer, [theodora, other])
    with tenant_context(tenant_a):
        Application.objects.create(
            first_name="Marcus", last_name="Brandt", email="mb.private@example.org", account=other
        )
    # when
    by_name = client.get("/broker/accounts/", {"q": "odora q"})
    by_part = client.get("/broker/accounts/", {"q": "theod"})
    by_email = client.get("/broker/accounts/", {"q": "mb.private"})
    # then
    assert by_name.status_code == 200
    assert [r["account"].number for r in by_name.context["listing"].rows] == [theodora.number]
    assert [r["account"].number for r in by_part.context["listing"].rows] == [theodora.number]
    assert hidden.number not in by_part.content.decode()
    rows = by_email.context["listing"].rows
    assert [(r["account"].number, r["email"]) for r in rows] == [
        (other.number, "mb.private@example.org")
    ]


def test_listing_filters_sorts_and_exports_csv(tenant_a):
    # given
    officer, client = _officer(tenant_a)
    master = account_open(tenant=tenant_a, title="Fund Master", account_type="master")
    subs = [
        account_open(tenant=tenant_a, title=f"Sub {n}", account_type="sub", parent=master)
        for n in ("B", "A", "C")
    ]
    eur = account_open(
        tenant=tenant_a, title="Euro Holder", account_type="individual", base_currency="EUR"
    )
    _grant(tenant_a, officer, [master, eur])
    CashBalance.objects.create(account=subs[2], currency="USD", quantity=Decimal("-12.50"))
    # when
    of_master = client.get("/broker/accounts/", {"master": master.pk, "sort": "-name"})
    negative = client.get("/broker/accounts/", {"negative_cash": "true"})
    in_eur = client.get("/broker/accounts/", {"base_currency": "EUR"})
    exported = client.get("/broker/accounts/export.csv", {"master": master.pk, "sort": "name"})
    # then
    assert [r["account"].title for r in of_master.context["listing"].rows] == [
        "Sub C",
        "Sub B",
        "Sub A",
    ]
    assert [r["account"].number for r in negative.context["listing"].rows] == [subs[2].number]
    assert [r["account"].number for r in in_eur.context["listing"].rows] == [eur.number]
    lines = list(csv.reader(io.StringIO(exported.content.decode())))
    assert lines[0][:3] == ["number", "name", "type"]
    assert [line[1] for line in lines[1:]] == ["Sub A", "Sub B", "Sub C"]
    assert {line[4] for line in lines[1:]} == {master.number}


def test_360_shows_holder_valuation_cash_grants_and_refuses_unseen_accounts(tenant_a, tenant_b):
    # given
    officer, client = _officer(tenant_a)
    account = account_open(tenant=tenant_a, title="Ingrid Solberg", account_type="individual")
    unseen = account_open(tenant=tenant_a, title="Not Granted", account_type="individual")
    elsewhere = account_open(tenant=tenant_b, title="Other Tenant", account_type="individual")
    _grant(tenant_a, officer, [account])
    cash_deposit(
        account=account, amount=Decimal("2500.00"), currency="USD", idempotency_key="desk-360"
    )
    with tenant_context(tenant_a):
        application = Application.objects.create(
            first_name="Ingrid", last_name="Solberg", email="ingrid@example.org", account=account
        )
    # when
    page = client.get(f"/broker/accounts/{account.number}/")
    refused = [
        client.get(f"/broker/accounts/{n}/").status_code for n in (unseen.number, elsewhere.number)
    ]
    # then
    assert page.status_code == 200
    view = page.context["view"]
    assert view.valuation.nlv == Decimal("2500.00")
    assert view.cash == [
        {"currency": "USD", "balance": Decimal("2500.00"), "settled": Decimal("2500.00")}
    ]
    assert [(g.who, g.needs) for g in view.grants] == [("desk-officer", ["view"])]
    body = page.content.decode()
    assert "Ingrid Solberg" in body and "ingrid@example.org" in body
    assert f"/broker/onboarding/{application.pk}/" in body
    assert refused == [404, 404]


def test_closing_is_refused_with_a_balance_and_restricting_is_audited(tenant_a):
    # given
    officer, client = _officer(tenant_a)
    account = account_open(tenant=tenant_a, title="Close Me", account_type="individual")
    _grant(tenant_a, officer, [account])
    cash_deposit(account=account, amount=Decimal("10"), currency="USD", idempotency_key="desk-cl")
    act = f"/broker/accounts/{account.pk}/act/status/"
    # when
    closing = client.post(act, {"verb": "close", "reason": "client asked"}, follow=True)
    account.refresh_from_db()
    status_after_close = account.status
    client.post(act, {"verb": "restrict", "reason": "KYC expired"})
    account.refresh_from_db()
    # then
    assert status_after_close == "open"
    assert "cannot be closed while it holds 10 USD cash" in closing.content.decode()
    assert account.status == "restricted"
    with tenant_context(tenant_a):
        records = list(
            AuditRecord.objects.filter(target=f"account:{account.number}").values_list(
                "action", "details"
            )
        )
    assert records == [
        ("account.restrict", {"from": "open", "to": "restricted", "reason": "KYC expired"})
    ]


def test_a_viewer_may_not_change_an_accounts_status(tenant_a):
    # given
    viewer, client = _officer(tenant_a, username="desk-viewer", roles=("Viewer",))
    account = account_open(tenant=tenant_a, title="Keep Open", account_type="individual")
    _grant(tenant_a, viewer, [account])
    # when
    response = client.post(
        f"/broker/accounts/{account.pk}/act/status/", {"verb": "restrict", "reason": "x"}
    )
    account.refresh_from_db()
    # then: Wagtail's admin turns the refusal into a redirect with a message
    assert (response.status_code, response["Location"]) == (302, "/broker/")
    assert account.status == "open"
    with tenant_context(tenant_a):
        assert not AuditRecord.objects.filter(target=f"account:{account.number}").exists()


def _count(client, url, **params):
    # Every measured request starts from empty caches (host lookups, sessions, counts), so
    # what a cache entry's expiry would save or cost is the same in each.
    tenant_lookups_clear()
    for alias in ("default", "ledger"):
        caches[alias].clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@time_machine.travel(dt.datetime(2026, 11, 3, 15, 0, tzinfo=dt.UTC), tick=False)
def test_listing_and_360_run_a_fixed_number_of_queries_for_10000_accounts(tenant_a):
    # given: an officer granted a master; first with 10 sub-accounts, then with 10,010; the
    # clock stopped, so the session's last-seen stamp is written alike in both
    officer, client = _officer(tenant_a)
    master = account_open(tenant=tenant_a, title="Big Master", account_type="master")
    _grant(tenant_a, officer, [master])
    _bulk_accounts(tenant_a, 10, prefix="QA", parent=master)
    searches = [{}, {"q": "holder"}, {"negative_cash": "true", "sort": "-name"}]
    client.get("/broker/accounts/")  # caches of the first request (site, content types)
    small = [_count(client, "/broker/accounts/", **p) for p in searches]
    small_360 = _count(client, f"/broker/accounts/{master.number}/")
    # when
    _bulk_accounts(tenant_a, 10_000, prefix="QB", parent=master)
    large = [_count(client, "/broker/accounts/", **p) for p in searches]
    large_360 = _count(client, f"/broker/accounts/{master.number}/")
    bounded = client.get("/broker/accounts/", {"negative_cash": "true"})
    counted = client.get("/broker/accounts/", {"negative_cash": "true", "count": "all"})
    # then
    assert large == small
    assert large_360 == small_360
    # more than the bound are not counted unless asked; asked, the total is exact
    listing = bounded.context["listing"]
    assert (listing.total, listing.more_than, len(listing.rows)) == (None, 1000, 50)
    assert "More than 1000 accounts" in bounded.content.decode()
    assert counted.context["listing"].total == 2 + 10_000 // 7 + 1  # every seventh of a batch


def test_a_missing_fx_rate_leaves_the_figures_blank_not_wrong(tenant_a):
    # given: a CHF account holding USD cash, and no CHF rate in the books
    officer, client = _officer(tenant_a)
    account = account_open(
        tenant=tenant_a, title="Franc Holder", account_type="individual", base_currency="CHF"
    )
    _grant(tenant_a, officer, [account])
    CashBalance.objects.create(account=account, currency="USD", quantity=Decimal("100"))
    # when
    listing = client.get("/broker/accounts/", {"q": "franc holder"})
    page = client.get(f"/broker/accounts/{account.number}/")
    # then
    assert [r["nlv"] for r in listing.context["listing"].rows] == [None]
    assert page.status_code == 200
    assert page.context["view"].valuation is None
    assert "Valuation unavailable: No FX rate" in page.content.decode()


# The most queries a listing or a 360 request may make from empty caches (session, second
# factor, the user's grants and roles, the filters' choices, the count, the page's ids and
# rows, e-mails, valuations, the menu's counts): a bound that does not grow with the tenant,
# so an N+1 over accounts fails here.
LISTING_QUERIES = 39
ACCOUNT_360_QUERIES = 49


def _caches_clear():
    tenant_lookups_clear()
    for alias in ("default", "ledger"):
        caches[alias].clear()


def test_listing_search_pages_and_360_stay_within_a_query_budget(
    tenant_a, django_assert_max_num_queries
):
    # given: an officer granted a master with 1,200 sub-accounts (more than a short result,
    # which the listing reads whole)
    officer, client = _officer(tenant_a)
    master = account_open(tenant=tenant_a, title="Budget Master", account_type="master")
    _grant(tenant_a, officer, [master])
    _bulk_accounts(tenant_a, 1_200, prefix="QC", parent=master)
    client.get("/broker/accounts/")  # caches of the first request (site, content types)
    searches = [
        {},
        {"q": "holder qc 11"},
        {"q": "holder"},
        {"page": "20"},
        {"negative_cash": "true", "sort": "-name"},
        {"account_type": "sub", "sort": "opened"},
    ]
    for params in searches:
        # when / then
        _caches_clear()
        with django_assert_max_num_queries(LISTING_QUERIES):
            assert client.get("/broker/accounts/", params).status_code == 200
    _caches_clear()
    with django_assert_max_num_queries(ACCOUNT_360_QUERIES):
        assert client.get(f"/broker/accounts/{master.number}/").status_code == 200


def test_deep_and_short_pages_list_the_right_accounts_in_order(tenant_a):
    # given: 1,200 sub-accounts in a shuffled order of creation
    officer, client = _officer(tenant_a)
    master = account_open(tenant=tenant_a, title="Paged Master", account_type="master")
    _grant(tenant_a, officer, [master])
    accounts = _bulk_accounts(tenant_a, 1_200, prefix="QD", parent=master)
    numbers = sorted([master.number] + [a.number for a in accounts])
    # when
    deep = client.get("/broker/accounts/", {"page": "20"}).context["listing"]
    last = client.get("/broker/accounts/", {"page": "25"}).context["listing"]
    short = client.get("/broker/accounts/", {"q": "holder qd 11", "page": "2"}).context["listing"]
    by_name = client.get("/broker/accounts/", {"sort": "-name", "page": "3"}).context["listing"]
    past = client.get("/broker/accounts/", {"page": "99"}).context["listing"]
    # then: more than the bound of 1,000 matches, a page does not count them, but the last
    # page knows the total, and a page past the end is the last one
    assert [r["account"].number for r in deep.rows] == numbers[950:1000]
    assert (deep.total, deep.more_than, deep.page.has_next()) == (None, 1000, True)
    assert [r["account"].number for r in last.rows] == numbers[1200:]
    assert (last.total, last.page.has_next(), last.page.previous_page_number()) == (1201, False, 24)
    assert (past.page.number, [r["account"].number for r in past.rows]) == (25, numbers[1200:])
    matching = sorted(a.number for a in accounts if a.title.startswith("Bulk Holder QD 11"))
    assert short.total == len(matching) == 111
    assert [r["account"].number for r in short.rows] == matching[50:100]
    titles = sorted([master.title] + [a.title for a in accounts], reverse=True)
    assert [r["account"].title for r in by_name.rows] == titles[100:150]
    assert all(r["account"].parent_id == master.pk for r in deep.rows)


def test_a_superuser_is_offered_the_tenants_base_currencies(tenant_a, tenant_b):
    # given: accounts in USD and EUR in tenant A, one in CHF in tenant B
    with tenant_context(tenant_a):
        admin = get_user_model().objects.create_superuser("desk-admin", "da@example.com", None)
    client = login(tenant_client(tenant_a), admin, tenant_a)
    account_open(tenant=tenant_a, title="Dollar Holder", account_type="individual")
    account_open(
        tenant=tenant_a, title="Euro Holder", account_type="individual", base_currency="EUR"
    )
    account_open(
        tenant=tenant_b, title="Franc Holder", account_type="individual", base_currency="CHF"
    )
    # when
    response = client.get("/broker/accounts/", {"base_currency": "EUR"})
    # then
    choices = response.context["filter"].form.fields["base_currency"].choices
    assert [c for c, _ in choices if c] == ["EUR", "USD"]
    assert [r["account"].title for r in response.context["listing"].rows] == ["Euro Holder"]


def test_search_finds_an_account_by_its_clients_login_email(tenant_a):
    # given: an application whose own e-mail differs from its client's login
    officer, client = _officer(tenant_a)
    account = account_open(tenant=tenant_a, title="Login Holder", account_type="individual")
    other = account_open(tenant=tenant_a, title="Someone Else", account_type="individual")
    _grant(tenant_a, officer, [account, other])
    holder = user_make(tenant=tenant_a, username="login.only@example.net", roles=["Client"])
    with tenant_context(tenant_a):
        Application.objects.create(
            first_name="Lo", last_name="Gin", email="form@example.org", account=account, user=holder
        )
    # when
    found = client.get("/broker/accounts/", {"q": "login.only@"}).context["listing"]
    # then
    assert [r["account"].number for r in found.rows] == [account.number]
