"""Account permissions: grants on a master cover subs, view-only cannot trade or fund, and
another tenant's account is a 404 like a missing one."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django_tenants.utils import tenant_context

from compliance.models import AuditRecord
from compliance.services import grant_add, grant_remove
from ledger.access import access_account, accounts_visible
from tests.support.factories import account_make, user_make


@pytest.fixture
def tree(tenant_a):
    master = account_make(tenant=tenant_a, account_type="master")
    subs = [account_make(tenant=tenant_a, account_type="sub", parent=master) for _ in range(3)]
    other = account_make(tenant=tenant_a)
    return master, subs, other


def test_grant_on_master_shows_its_subs(tenant_a, tree):
    # given
    master, subs, other = tree
    user = user_make(tenant=tenant_a, username="adv1", roles=["Advisor/Trader"])
    with tenant_context(tenant_a):
        # when
        grant_add(actor=None, user=user, accounts=[master], perms=["view", "trade"])
        # then
        visible = set(accounts_visible(user=user, tenant=tenant_a).values_list("pk", flat=True))
        tradable = set(
            accounts_visible(user=user, tenant=tenant_a, need="trade").values_list("pk", flat=True)
        )
        assert access_account(user=user, tenant=tenant_a, account_id=subs[1].pk).pk == subs[1].pk
    assert visible == {master.pk, *(s.pk for s in subs)}
    assert tradable == visible
    assert other.pk not in visible


def test_grant_on_one_sub_shows_only_that_sub(tenant_a, tree):
    # given
    master, subs, other = tree
    user = user_make(tenant=tenant_a, username="client1", roles=["Client"])
    with tenant_context(tenant_a):
        grant_add(actor=None, user=user, accounts=[subs[0]], perms=["view"])
        # when
        visible = list(accounts_visible(user=user, tenant=tenant_a).values_list("pk", flat=True))
        # then
        for hidden in (master, subs[1], subs[2], other):
            with pytest.raises(Http404):
                access_account(user=user, tenant=tenant_a, account_id=hidden.pk)
    assert visible == [subs[0].pk]


def test_view_only_user_gets_permission_denied_on_trade_and_fund(tenant_a, tree):
    # given
    _, subs, _ = tree
    user = user_make(tenant=tenant_a, username="viewer1", roles=["Viewer"])
    with tenant_context(tenant_a):
        grant_add(actor=None, user=user, accounts=[subs[0]], perms=["view"])
        # when / then
        assert access_account(user=user, tenant=tenant_a, account_id=subs[0].pk) == subs[0]
        for need in ("trade", "fund", "report"):
            with pytest.raises(PermissionDenied):
                access_account(user=user, tenant=tenant_a, account_id=subs[0].pk, need=need)


def test_other_tenants_account_is_404_like_a_missing_one(tenant_a, tenant_b):
    # given: a user of A holding (wrongly) a permission row naming B's account
    account_b = account_make(tenant=tenant_b)
    user = user_make(tenant=tenant_a, username="adv2", roles=["Advisor/Trader"])
    with tenant_context(tenant_a):
        from guardian.shortcuts import assign_perm

        assign_perm("ledger.view_account", user, account_b)
        # when / then
        with pytest.raises(Http404) as foreign:
            access_account(user=user, tenant=tenant_a, account_id=account_b.pk)
        with pytest.raises(Http404) as missing:
            access_account(user=user, tenant=tenant_a, account_id=999_999_999)
        with pytest.raises(Http404):
            access_account(user=user, tenant=tenant_a, account_id="x' OR 1=1")
        assert list(accounts_visible(user=user, tenant=tenant_a)) == []
    assert str(foreign.value) == str(missing.value)


def test_grant_refuses_other_tenants_account_and_changes_nothing(tenant_a, tenant_b):
    # given
    account_b = account_make(tenant=tenant_b)
    user = user_make(tenant=tenant_a, username="adv3", roles=["Advisor/Trader"])
    with tenant_context(tenant_a):
        before = AuditRecord.objects.count()
        # when / then
        with pytest.raises(ValidationError):
            grant_add(actor=None, user=user, accounts=[account_b], perms=["view"])
        assert AuditRecord.objects.count() == before
        assert list(accounts_visible(user=user, tenant=tenant_b)) == []


def test_grant_and_revoke_are_audited(tenant_a, tree):
    # given
    master, _, _ = tree
    officer = user_make(tenant=tenant_a, username="so1", roles=["Security Officer"])
    user = user_make(tenant=tenant_a, username="adv4", roles=["Advisor/Trader"])
    with tenant_context(tenant_a):
        # when
        grant_add(actor=officer, user=user, accounts=[master], perms=["trade"], ip="10.0.0.7")
        grant_remove(actor=officer, user=user, accounts=[master], perms=["view"], ip="10.0.0.7")
        # then
        records = list(
            AuditRecord.objects.filter(target="user:adv4")
            .order_by("id")
            .values("actor_username", "action", "details", "ip")
        )
        assert list(accounts_visible(user=user, tenant=tenant_a)) == []
    assert records == [
        {
            "actor_username": "so1",
            "action": "access.grant",
            "details": {"accounts": [master.number], "perms": ["view", "trade"]},
            "ip": "10.0.0.7",
        },
        {
            "actor_username": "so1",
            "action": "access.revoke",
            "details": {"accounts": [master.number], "perms": ["view", "trade", "fund", "report"]},
            "ip": "10.0.0.7",
        },
    ]
