"""The accounts list of the API: each listed account as its own detail represents it, pages
followed by cursor, and a number of queries that does not grow with the page."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import tenant_context

from compliance.services import grant_add
from ledger.models import Account

from .conftest import key_client, key_for

pytestmark = pytest.mark.django_db

# Queries of one page from an API key: the key, the lockout check, the second factor, the
# user's grants, the page (the key's last use is stamped at most once a minute).
LIST_QUERIES = 8


def _advisor_with_master(tenant, subs: int, *, prefix: str):
    with tenant_context(tenant):
        user = get_user_model().objects.create_user(f"{prefix.lower()}-advisor", is_staff=True)
    master = Account.objects.create(
        tenant=tenant, number=f"{prefix}M000", title="Master", account_type="master"
    )
    created = Account.objects.bulk_create(
        Account(
            tenant=tenant,
            number=f"{prefix}S{i:03d}",
            title=f"Sub {i}",
            account_type="sub",
            parent=master,
            base_currency="EUR" if i % 3 else "USD",
        )
        for i in range(subs)
    )
    for i, sub in enumerate(created[:5]):
        sub.opened_at = dt.datetime(2026, 1, 2, 3, 4, 5, i * 1000, tzinfo=dt.UTC)
    Account.objects.bulk_update(created[:5], ["opened_at"])
    with tenant_context(tenant):
        grant_add(actor=None, user=user, accounts=[master], perms=["view"])
    connection.set_schema_to_public()
    return user, master


def test_listed_accounts_are_represented_as_their_details(tenant_a):
    # given: a master with five subs opened at distinct instants (one without microseconds)
    user, master = _advisor_with_master(tenant_a, 5, prefix="ALR")
    client = key_client(tenant_a, key_for(tenant_a, user))
    # when
    listed = client.get("/api/v1/accounts/").json()["results"]
    details = [client.get(f"/api/v1/accounts/{row['id']}/").json() for row in listed]
    # then
    assert listed == details
    assert [row["number"] for row in listed] == ["ALRM000"] + [f"ALRS{i:03d}" for i in range(5)]
    assert listed[0]["master"] is None
    assert {row["master"] for row in listed[1:]} == {"ALRM000"}
    assert listed[1]["opened_at"] == "2026-01-02T03:04:05Z"
    assert listed[2]["opened_at"] == "2026-01-02T03:04:05.001000Z"


def test_pages_follow_the_cursor_over_every_account(tenant_a):
    # given
    user, master = _advisor_with_master(tenant_a, 12, prefix="ALP")
    client = key_client(tenant_a, key_for(tenant_a, user))
    # when: pages of five
    seen, url = [], "/api/v1/accounts/?page_size=5"
    while url:
        page = client.get(url).json()
        seen += [row["number"] for row in page["results"]]
        url = page["next"]
    # then
    assert seen == ["ALPM000"] + [f"ALPS{i:03d}" for i in range(12)]


def test_a_page_of_a_thousand_accounts_runs_as_many_queries_as_a_page_of_three(
    tenant_a, django_assert_max_num_queries
):
    # given: two advisors, one granted a master of 2 subs, one a master of 999
    small_user, _ = _advisor_with_master(tenant_a, 2, prefix="ALS")
    large_user, _ = _advisor_with_master(tenant_a, 999, prefix="ALL")
    small = key_client(tenant_a, key_for(tenant_a, small_user))
    large = key_client(tenant_a, key_for(tenant_a, large_user))
    small.get("/api/v1/accounts/")  # the keys' first use is stamped and audited
    large.get("/api/v1/accounts/")
    # when / then
    with django_assert_max_num_queries(LIST_QUERIES):
        assert len(small.get("/api/v1/accounts/?page_size=1000").json()["results"]) == 3
    with django_assert_max_num_queries(LIST_QUERIES):
        assert len(large.get("/api/v1/accounts/?page_size=1000").json()["results"]) == 1000
