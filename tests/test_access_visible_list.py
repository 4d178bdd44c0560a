"""`accounts_visible_list` (one statement, for the portal's selector on every page) lists exactly
the accounts `accounts_visible` does: direct and group grants, a master's subs, never another
tenant's account, never an ungranted one, nothing after a revoke."""

from django.contrib.auth.models import Group
from django_tenants.utils import tenant_context
from guardian.shortcuts import assign_perm

from compliance.services import grant_add, grant_remove
from ledger.access import accounts_visible, accounts_visible_list
from tests.support.factories import account_make, user_make


def _both(user, tenant, **kwargs) -> tuple[list[int], list[int]]:
    excluded = kwargs.get("exclude_types", ())
    orm = list(
        accounts_visible(user=user, tenant=tenant, need=kwargs.get("need", "view"))
        .exclude(account_type__in=excluded)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    raw = [a.pk for a in accounts_visible_list(user=user, tenant=tenant, **kwargs)]
    return orm, raw


def test_the_list_equals_accounts_visible_for_every_kind_of_grant(tenant_a, tenant_b):
    # given a master with two subs, a lone account, one granted through a group, and B's account
    master = account_make(tenant=tenant_a, account_type="master")
    subs = [account_make(tenant=tenant_a, account_type="sub", parent=master) for _ in range(2)]
    lone = account_make(tenant=tenant_a)
    by_group = account_make(tenant=tenant_a)
    hidden = account_make(tenant=tenant_a)
    b_account = account_make(tenant=tenant_b)
    user = user_make(tenant=tenant_a, username="vl-adv", roles=["Advisor/Trader"])
    with tenant_context(tenant_a):
        grant_add(actor=None, user=user, accounts=[master], perms=["view", "trade"])
        grant_add(actor=None, user=user, accounts=[lone], perms=["view"])
        group = Group.objects.create(name="vl-desk")
        user.groups.add(group)
        assign_perm("ledger.view_account", group, by_group)
        # a guardian row naming B's account id in A's schema must not leak it either
        assign_perm("ledger.view_account", user, b_account)
        # when
        view_orm, view_raw = _both(user, tenant_a)
        trade_orm, trade_raw = _both(user, tenant_a, need="trade")
        no_master_orm, no_master_raw = _both(user, tenant_a, exclude_types=("master",))
    # then
    expected = {master.pk, *(s.pk for s in subs), lone.pk, by_group.pk}
    assert set(view_raw) == expected
    assert view_raw == view_orm
    assert set(trade_raw) == {master.pk, *(s.pk for s in subs)}
    assert trade_raw == trade_orm
    assert set(no_master_raw) == expected - {master.pk}
    assert no_master_raw == no_master_orm
    assert hidden.pk not in view_raw and b_account.pk not in view_raw


def test_a_revoked_grant_leaves_the_list(tenant_a):
    # given a client granted one account
    account = account_make(tenant=tenant_a)
    user = user_make(tenant=tenant_a, username="vl-client", roles=["Client"])
    with tenant_context(tenant_a):
        grant_add(actor=None, user=user, accounts=[account], perms=["view"])
        before = [a.pk for a in accounts_visible_list(user=user, tenant=tenant_a)]
        # when
        grant_remove(actor=None, user=user, accounts=[account], perms=["view"])
        after = accounts_visible_list(user=user, tenant=tenant_a)
    # then
    assert before == [account.pk]
    assert after == []
