"""Roles read once per user object: the Broker Portal's menu, home tiles and views ask for them
many times a request; a change through the user's own groups is seen at once."""

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from tenants.roles import ADVISOR, COMPLIANCE_OFFICER, ONBOARDING_OFFICER, has_role
from tests.support.factories import user_make
from tests.support.tenants import login, tenant_client


def test_roles_are_read_once_per_user_object_and_a_change_of_its_groups_is_seen(tenant_a):
    # given
    user = user_make(tenant=tenant_a, username="roles-once", roles=[ONBOARDING_OFFICER])
    with tenant_context(tenant_a):
        # when asked several times
        with CaptureQueriesContext(connection) as queries:
            answers = [
                has_role(user, ONBOARDING_OFFICER),
                has_role(user, ADVISOR),
                has_role(user, ADVISOR, ONBOARDING_OFFICER),
            ]
        # then one query answers them all
        assert answers == [True, False, True]
        assert len([q for q in queries if 'FROM "auth_group"' in q["sql"]]) == 1
        # when a role is added and one removed through the user's groups
        user.groups.add(Group.objects.get(name=ADVISOR))
        after_add = has_role(user, ADVISOR)
        user.groups.remove(Group.objects.get(name=ONBOARDING_OFFICER))
        after_remove = has_role(user, ONBOARDING_OFFICER)
        user.groups.clear()
        after_clear = has_role(user, ADVISOR)
    # then each change is seen
    assert (after_add, after_remove, after_clear) == (True, False, False)


def test_the_broker_portal_menu_asks_for_the_roles_once_a_request(tenant_a):
    # given a Compliance Officer (the menu shows and hides entries by several roles)
    officer = user_make(tenant=tenant_a, username="roles-menu", roles=[COMPLIANCE_OFFICER])
    client = login(tenant_client(tenant_a), officer, tenant_a)
    client.get("/broker/")  # caches of the first request
    # when
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/broker/")
    # then the role names are read once, and no role is asked of the database one by one
    assert response.status_code == 200
    mine = [
        q["sql"] for q in queries if 'FROM "auth_group" INNER JOIN "auth_user_groups"' in q["sql"]
    ]
    assert len(mine) == 1 and mine[0].startswith('SELECT "auth_group"."name"'), mine
