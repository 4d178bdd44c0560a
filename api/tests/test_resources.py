"""Resources under /api/v1/: the screens' selectors and access helpers, the same 404 for
another tenant's or an ungranted object, GET and POST alike (and nothing written)."""

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from clientportal.models import DepositNotice, WithdrawalRequest
from ledger.models import JournalEntry
from tests.support.clientportal import account_for_client, client_user_make

from .conftest import key_client, key_for

pytestmark = pytest.mark.django_db

ACCOUNT_GETS = ["", "positions/", "cash/", "activity/", "valuation/", "performance/", "nav/"]


def test_accounts_list_filters_and_search(tenant_a, holder):
    # given a second account of the same client, of another type
    user, account = holder
    with tenant_context(tenant_a):
        ira = account_for_client(tenant=tenant_a, user=user, title="Retirement", account_type="ira")
    client = key_client(tenant_a, key_for(tenant_a, user))
    # when
    everything = client.get("/api/v1/accounts/").json()
    iras = client.get("/api/v1/accounts/?account_type=ira").json()
    found = client.get("/api/v1/accounts/?search=retire").json()
    # then
    assert [a["number"] for a in everything["results"]] == sorted([account.number, ira.number])
    assert [a["number"] for a in iras["results"]] == [ira.number]
    assert [a["number"] for a in found["results"]] == [ira.number]
    assert everything["next"] is None


def test_account_figures_come_from_the_ledger(tenant_a, holder):
    user, account = holder
    client = key_client(tenant_a, key_for(tenant_a, user))
    base = f"/api/v1/accounts/{account.pk}/"
    positions = client.get(base + "positions/").json()["results"]
    cash = client.get(base + "cash/").json()
    activity = client.get(base + "activity/").json()
    valuation = client.get(base + "valuation/").json()
    performance = client.get(base + "performance/").json()
    assert sorted((p["symbol"], p["quantity"]) for p in positions) == [
        (f"{p['symbol']}", "10.00000000") for p in sorted(positions, key=lambda p: p["symbol"])
    ]
    assert len(positions) == 3
    assert cash["rows"] == [
        {
            "currency": "USD",
            "balance": "8497.00000000",
            "settled": "8497.00000000",
            "withdrawable": "8497.00000000",
        }
    ]
    assert sorted(a["kind"] for a in activity) == ["deposit", "trade", "trade", "trade"]
    assert Decimal(valuation["cash"]) == Decimal("8497")
    assert Decimal(valuation["nlv"]) == Decimal("8497") + sum(
        Decimal(100 + i) * 10 for i in range(3)
    )
    assert performance["base_currency"] == "USD"
    bad = client.get(base + "performance/?start=2026-02-01&end=2026-01-01")
    assert bad.status_code == 400
    assert bad.json()["title"] == "Bad Request"


@pytest.mark.parametrize("suffix", ACCOUNT_GETS)
def test_another_tenants_or_ungranted_account_is_404(tenant_a, holder, other_holder, suffix):
    user, _ = holder
    _, foreign = other_holder
    with tenant_context(tenant_a):
        stranger = client_user_make(username=f"stranger-{suffix.strip('/') or 'detail'}")
        ungranted = account_for_client(tenant=tenant_a, user=stranger)
    client = key_client(tenant_a, key_for(tenant_a, user))
    for account in (foreign, ungranted):
        response = client.get(f"/api/v1/accounts/{account.pk}/{suffix}")
        assert response.status_code == 404
        assert response.json() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "No such account.",
        }


def test_posts_naming_another_tenants_account_are_404_and_write_nothing(
    tenant_a, holder, other_holder
):
    user, account = holder
    _, foreign = other_holder
    client = key_client(tenant_a, key_for(tenant_a, user, scopes=("read", "fund")))
    entries = JournalEntry.objects.count()
    posts = {
        "/api/v1/withdrawals/": {
            "account": foreign.pk,
            "amount": "1",
            "currency": "USD",
            "destination": "X",
        },
        "/api/v1/deposit-notices/": {
            "account": foreign.pk,
            "amount": "1",
            "currency": "USD",
            "method": "wire",
            "expected_on": "2026-01-05",
        },
        "/api/v1/journals/": {
            "from_account": account.pk,
            "to_account": foreign.pk,
            "amount": "1",
            "currency": "USD",
        },
    }
    for path, body in posts.items():
        response = client.post(path, body, content_type="application/json")
        assert (path, response.status_code) == (path, 404)
    with tenant_context(tenant_a):
        assert WithdrawalRequest.objects.count() == 0
        assert DepositNotice.objects.count() == 0
    assert JournalEntry.objects.count() == entries


def test_staff_decisions_on_another_tenants_request_are_404(tenant_a, tenant_b, other_holder):
    # given a pending request in tenant B, and tenant A's staff with the approval right
    from clientportal.services import withdrawal_request_create
    from ledger.services import cash_deposit

    user_b, account_b = other_holder
    cash_deposit(account=account_b, amount=Decimal(100), currency="USD", idempotency_key="b-dep")
    with tenant_context(tenant_b):
        pending = withdrawal_request_create(
            user=user_b,
            tenant=tenant_b,
            account=account_b,
            amount=Decimal(10),
            currency="USD",
            destination="X",
        )
    from tests.support.factories import user_make

    staff = user_make(tenant=tenant_a, username="approver-a", is_staff=True)
    with tenant_context(tenant_a):
        staff.is_superuser = True
        staff.save()
    client = key_client(tenant_a, key_for(tenant_a, staff, scopes=("read", "fund")))
    for verb in ("approve", "reject"):
        response = client.post(
            f"/api/v1/withdrawals/{pending.pk}/{verb}/", {}, content_type="application/json"
        )
        assert response.status_code == 404
    assert client.get(f"/api/v1/withdrawals/{pending.pk}/").status_code == 404
    with tenant_context(tenant_b):
        assert WithdrawalRequest.objects.get(pk=pending.pk).status == "pending"


def test_a_client_cannot_decide_their_own_request(tenant_a, holder):
    user, account = holder
    client = key_client(tenant_a, key_for(tenant_a, user, scopes=("read", "fund")))
    made = client.post(
        "/api/v1/withdrawals/",
        {"account": account.pk, "amount": "25.00", "currency": "USD", "destination": "US-ABA-1"},
        content_type="application/json",
    )
    assert made.status_code == 201
    request_id = made.json()["id"]
    assert client.post(f"/api/v1/withdrawals/{request_id}/approve/").status_code == 404
    assert client.get(f"/api/v1/withdrawals/{request_id}/").json()["status"] == "pending"
