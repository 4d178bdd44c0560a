"""Client second-factor setting, absolute timeout, invitations, and clients at /broker/."""

import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context

from compliance.models import Invitation
from compliance.services import client_user_create, invitation_create, security_settings_update
from compliance.sessions import AUTH_AT
from tests.support.factories import PASSWORD, user_make
from tests.support.tenants import login, tenant_client


def test_client_second_factor_follows_the_tenant_setting(tenant_a):
    # given: a client with the password step only
    user = user_make(tenant=tenant_a, username="setting-client", roles=["Client"])
    client = login(tenant_client(tenant_a), user, tenant_a, verified=False)
    # when: the tenant's default (required)
    required = client.get("/")
    with tenant_context(tenant_a):
        security_settings_update(actor=None, client_2fa_required=False)
    # when: switched off
    optional = client.get("/")
    # then
    assert required["Location"] == "/auth/enrol/?next=%2F"
    assert optional.status_code == 200


def test_staff_always_need_the_second_factor_even_when_clients_do_not(tenant_a):
    # given
    with tenant_context(tenant_a):
        security_settings_update(actor=None, client_2fa_required=False)
    user = user_make(tenant=tenant_a, username="setting-staff", roles=["Viewer"])
    client = login(tenant_client(tenant_a), user, tenant_a, verified=False)
    # when
    response = client.get("/broker/")
    # then
    assert response["Location"] == "/auth/enrol/?next=%2Fbroker%2F"


def test_session_ends_after_the_absolute_timeout_even_when_active(tenant_a):
    # given: logged in 13 hours ago (default absolute limit 12 h), active a moment ago
    user = user_make(tenant=tenant_a, username="long-session", roles=["Client"])
    client = login(tenant_client(tenant_a), user, tenant_a)
    client.get("/")
    with tenant_context(tenant_a):
        session = client.session
        session[AUTH_AT] = int(time.time()) - 13 * 3600
        session.save()
    # when
    response = client.get("/")
    # then
    assert response["Location"] == "/login/?next=/"


def test_client_at_broker_portal_is_not_bounced_forever(tenant_a):
    # given
    user = user_make(tenant=tenant_a, username="client-at-broker", roles=["Client"])
    client = login(tenant_client(tenant_a), user, tenant_a)
    # when
    response = client.get("/broker/", follow=True)
    # then
    assert response.redirect_chain == [("/login/?next=/broker/", 302)]
    assert response.status_code == 200


def test_invitation_sets_password_once_then_asks_for_enrolment(tenant_a):
    # given
    with tenant_context(tenant_a):
        user = client_user_create(
            actor=None, email="Invited@Example.com", first_name="In", last_name="Vited"
        )
        _, token = invitation_create(actor=None, user=user, send_email=False)
    client = tenant_client(tenant_a)
    new = "a-brand-new-pass-91"
    # when
    response = client.post(f"/auth/invitation/{token}/", {"password1": new, "password2": new})
    reused = tenant_client(tenant_a).get(f"/auth/invitation/{token}/")
    # then
    assert response["Location"] == "/auth/enrol/?next=%2F"
    assert client.get("/auth/enrol/").status_code == 200
    assert reused.status_code == 404
    with tenant_context(tenant_a):
        stored = get_user_model().objects.get(pk=user.pk)
        assert stored.check_password(new)
        assert list(stored.groups.values_list("name", flat=True)) == ["Client"]


def test_expired_invitation_is_refused_and_changes_nothing(tenant_a):
    # given
    with tenant_context(tenant_a):
        user = client_user_create(
            actor=None, email="late@example.com", first_name="L", last_name=""
        )
        invitation, token = invitation_create(actor=None, user=user, send_email=False)
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    # when
    response = tenant_client(tenant_a).post(
        f"/auth/invitation/{token}/", {"password1": PASSWORD, "password2": PASSWORD}
    )
    # then
    assert response.status_code == 404
    with tenant_context(tenant_a):
        assert get_user_model().objects.get(pk=user.pk).has_usable_password() is False
