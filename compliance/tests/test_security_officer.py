"""The Security Officer's screens in the Broker Portal: users, roles, grants, lockouts, 2FA
reset, the audit trail and the access review report."""

from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context
from guardian.models import UserObjectPermission

from compliance.models import AuditRecord
from ledger.access import accounts_visible
from tests.support.factories import PASSWORD, account_make, user_make
from tests.support.tenants import login, tenant_client

BASE = "/broker/security"


def _officer_client(tenant, username="so-screens"):
    officer = user_make(tenant=tenant, username=username, roles=["Security Officer"])
    return officer, login(tenant_client(tenant), officer, tenant)


def _actions(tenant, target):
    with tenant_context(tenant):
        return list(
            AuditRecord.objects.filter(target=target)
            .order_by("id")
            .values_list("action", "actor_username", "ip")
        )


def test_officer_creates_staff_user_with_roles_and_invitation(
    tenant_a, django_capture_on_commit_callbacks
):
    # given
    _, client = _officer_client(tenant_a)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{BASE}/users/new/",
            {
                "email": "new.trader@example.com",
                "first_name": "New",
                "last_name": "Trader",
                "roles": ["Advisor/Trader", "Viewer"],
            },
        )
    # then
    with tenant_context(tenant_a):
        user = get_user_model().objects.get(username="new.trader@example.com")
        roles = sorted(user.groups.values_list("name", flat=True))
        assert (user.is_staff, user.has_usable_password()) == (True, False)
    assert response["Location"] == f"{BASE}/users/{user.pk}/"
    assert roles == ["Advisor/Trader", "Viewer"]
    assert len(mail.outbox) == 1
    assert "/auth/invitation/" in mail.outbox[0].body
    assert _actions(tenant_a, "user:new.trader@example.com") == [
        ("user.create", "so-screens", "127.0.0.1"),
        ("invitation.create", "so-screens", "127.0.0.1"),
    ]


def test_non_officer_is_refused_and_nothing_changes(tenant_a):
    # given
    viewer = user_make(tenant=tenant_a, username="plain-viewer", roles=["Viewer"])
    target = user_make(tenant=tenant_a, username="target1", roles=["Viewer"])
    client = login(tenant_client(tenant_a), viewer, tenant_a)
    # when
    listing = client.get(f"{BASE}/users/")
    action = client.post(f"{BASE}/users/{target.pk}/deactivate/")
    # then: Wagtail turns the PermissionDenied into a redirect to the dashboard
    assert (listing.status_code, listing["Location"]) == (302, "/broker/")
    assert (action.status_code, action["Location"]) == (302, "/broker/")
    with tenant_context(tenant_a):
        assert get_user_model().objects.get(pk=target.pk).is_active is True
    assert _actions(tenant_a, "user:target1") == []


def test_officer_grants_master_by_number_and_user_sees_its_subs(tenant_a):
    # given
    officer, client = _officer_client(tenant_a)
    master = account_make(tenant=tenant_a, account_type="master")
    subs = [account_make(tenant=tenant_a, account_type="sub", parent=master) for _ in range(2)]
    advisor = user_make(tenant=tenant_a, username="adv-screen", roles=["Advisor/Trader"])
    # when
    response = client.post(
        f"{BASE}/users/{advisor.pk}/grant/",
        {"accounts": master.number.lower(), "rights": ["trade"]},
    )
    # then
    assert response.status_code == 302
    with tenant_context(tenant_a):
        visible = accounts_visible(user=advisor, tenant=tenant_a, need="trade")
        visible_ids = sorted(visible.values_list("pk", flat=True))
    assert visible_ids == sorted([master.pk, *(s.pk for s in subs)])
    assert _actions(tenant_a, "user:adv-screen") == [("access.grant", "so-screens", "127.0.0.1")]


def test_officer_cannot_grant_another_tenants_account(tenant_a, tenant_b):
    # given
    _, client = _officer_client(tenant_a)
    foreign = account_make(tenant=tenant_b)
    advisor = user_make(tenant=tenant_a, username="adv-foreign", roles=["Advisor/Trader"])
    # when
    response = client.post(
        f"{BASE}/users/{advisor.pk}/grant/",
        {"accounts": foreign.number, "rights": ["view"]},
        follow=True,
    )
    # then
    assert f"No such account: {foreign.number}.".encode() in response.content
    with tenant_context(tenant_a):
        assert UserObjectPermission.objects.filter(user=advisor).count() == 0
    assert _actions(tenant_a, "user:adv-foreign") == []


def test_role_change_view_only_2fa_reset_and_deactivate_are_audited(tenant_a):
    # given
    _, client = _officer_client(tenant_a)
    account = account_make(tenant=tenant_a)
    person = user_make(tenant=tenant_a, username="changing", roles=["Advisor/Trader"], totp=True)
    with tenant_context(tenant_a):
        from compliance.services import grant_add

        grant_add(actor=None, user=person, accounts=[account], perms=["trade", "fund"])
    # when
    client.post(f"{BASE}/users/{person.pk}/roles/", {"roles": ["Compliance Officer"]})
    client.post(f"{BASE}/users/{person.pk}/view-only/")
    client.post("/auth/reauth/", {"password": PASSWORD})  # a 2FA reset needs a fresh password
    client.post(f"{BASE}/users/{person.pk}/reset-2fa/")
    client.post(f"{BASE}/users/{person.pk}/deactivate/")
    # then
    with tenant_context(tenant_a):
        person.refresh_from_db()
        roles = list(person.groups.values_list("name", flat=True))
        rights = sorted(
            UserObjectPermission.objects.filter(user=person).values_list(
                "permission__codename", flat=True
            )
        )
        devices = TOTPDevice.objects.filter(user=person).count()
    assert (roles, rights, devices, person.is_active) == (["Viewer"], ["view_account"], 0, False)
    assert [a for a, _, _ in _actions(tenant_a, "user:changing")] == [
        "access.grant",
        "user.roles_set",
        "user.view_only",
        "2fa.reset",
        "user.deactivate",
    ]


def test_lockout_screen_lists_and_unlocks(tenant_a):
    # given: a locked login
    user_make(tenant=tenant_a, username="locked-screen", roles=["Client"], totp=True)
    portal = tenant_client(tenant_a)
    for _ in range(6):
        portal.post("/login/", {"username": "locked-screen", "password": "wrong-password-x"})
    _, client = _officer_client(tenant_a)
    # when
    listing = client.get(f"{BASE}/lockouts/")
    unlock = client.post(f"{BASE}/lockouts/unlock/", {"username": "locked-screen"})
    after = client.get(f"{BASE}/lockouts/")
    # then
    assert b"<td>locked-screen</td>" in listing.content
    assert unlock.status_code == 302
    assert b"<td>locked-screen</td>" not in after.content
    assert _actions(tenant_a, "user:locked-screen") == [
        ("lockout", "", "127.0.0.1"),
        ("lockout.unlock", "so-screens", "127.0.0.1"),
    ]


def test_access_review_csv_lists_rights_per_account_with_their_source(tenant_a):
    # given
    master = account_make(tenant=tenant_a, account_type="master", title="=HYPERLINK(1)")
    sub = account_make(tenant=tenant_a, account_type="sub", parent=master, title="Sub one")
    person = user_make(tenant=tenant_a, username="reviewed", roles=["Advisor/Trader"])
    with tenant_context(tenant_a):
        from compliance.services import grant_add

        grant_add(actor=None, user=person, accounts=[master], perms=["report"])
    compliance = user_make(tenant=tenant_a, username="co-review", roles=["Compliance Officer"])
    client = login(tenant_client(tenant_a), compliance, tenant_a)
    # when
    response = client.get(f"{BASE}/access-review/?username=reviewed&format=csv")
    # then
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode().splitlines() == [
        "username,name,roles,active,account,title,type,rights,via",
        f"reviewed,,Advisor/Trader,yes,{master.number},'=HYPERLINK(1),master,view report,direct",
        f"reviewed,,Advisor/Trader,yes,{sub.number},Sub one,sub,view report,master {master.number}",
    ]


def test_audit_trail_screen_filters_by_action(tenant_a):
    # given
    officer, client = _officer_client(tenant_a)
    with tenant_context(tenant_a):
        from compliance.services import lockout_unlock

        lockout_unlock(actor=officer, username="someone-else", ip="10.2.2.2")
    # when
    response = client.get(f"{BASE}/audit/?action=lockout.unlock&target=someone-else")
    # then
    assert response.status_code == 200
    assert b"user:someone-else" in response.content
    assert b"10.2.2.2" in response.content


def test_audit_trail_screen_shows_the_chain_and_a_break(tenant_a):
    # given
    officer, client = _officer_client(tenant_a, username="so-chain")
    with tenant_context(tenant_a):
        from compliance.services import lockout_unlock

        lockout_unlock(actor=officer, username="chain-a", ip="10.2.2.3")
        head = AuditRecord.objects.order_by("-seq").first()
    # when
    shown = client.get(f"{BASE}/audit/?verify=1").content.decode()
    # then
    assert f"<strong>#{head.seq}</strong> <code>{head.record_hash}</code>" in shown
    assert 'data-chain-state="intact"' in shown
    # when the record is edited behind the trail's back
    with tenant_context(tenant_a), connection.cursor() as cursor:
        table = "compliance_auditrecord"
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(f"UPDATE {table} SET ip = '10.9.9.9' WHERE id = %s", [head.pk])
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
    shown = client.get(f"{BASE}/audit/?verify=1").content.decode()
    # then
    assert 'data-chain-state="broken"' in shown
    assert f"record {head.pk} (seq {head.seq}): content or place changed" in shown
