"""Logging in: password, second factor, lockout, session rotation and timeouts."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from compliance.models import AuditRecord
from compliance.services import lockout_unlock
from compliance.sessions import LAST_SEEN
from tests.support.factories import PASSWORD, user_make
from tests.support.tenants import login, tenant_client


def _code(device: TOTPDevice, offset_steps: int = 0) -> str:
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits)
    generator.time = time.time() + offset_steps * device.step
    return f"{generator.token():0{device.digits}d}"


def _device(tenant, username) -> TOTPDevice:
    with tenant_context(tenant):
        return TOTPDevice.objects.get(user__username=username, confirmed=True)


def _password_step(client, username, password=PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/login/", data)


def test_staff_without_confirmed_second_factor_cannot_reach_broker_portal(tenant_a):
    # given: a staff user logged in with the password only, no device at all
    user = user_make(tenant=tenant_a, username="staff-nodev", roles=["Viewer"])
    client = login(tenant_client(tenant_a), user, tenant_a, verified=False)
    # when
    response = client.get("/broker/")
    api = client.get("/api/v1/")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/auth/enrol/?next=%2Fbroker%2F"
    assert api.status_code == 403


def test_staff_with_device_must_verify_it_before_broker_portal(tenant_a):
    # given
    user_make(tenant=tenant_a, username="staff-dev", roles=["Viewer"], totp=True)
    client = tenant_client(tenant_a)
    # when: the password step alone
    step1 = _password_step(client, "staff-dev", next_url="/broker/")
    blocked = client.get("/broker/")
    # then
    assert step1.status_code == 302
    assert step1["Location"] == "/auth/verify/?next=%2Fbroker%2F"
    assert blocked["Location"] == "/auth/verify/?next=%2Fbroker%2F"
    # when: the code
    code = _code(_device(tenant_a, "staff-dev"))
    step2 = client.post("/auth/verify/", {"code": code, "next": "/broker/"})
    # then
    assert step2.status_code == 302
    assert step2["Location"] == "/broker/"
    assert client.get("/broker/").status_code == 200


def test_wagtail_login_page_sends_to_the_portal_login(tenant_a):
    # given
    client = tenant_client(tenant_a)
    # when
    response = client.get("/broker/login/?next=/broker/pages/")
    anonymous_admin = client.get("/broker/")
    # then
    assert response["Location"] == "/login/?next=%2Fbroker%2Fpages%2F"
    assert anonymous_admin["Location"] == "/login/?next=/broker/"


def test_replayed_totp_code_is_refused(tenant_a):
    # given: a code used once
    user_make(tenant=tenant_a, username="replay", roles=["Client"], totp=True)
    device = _device(tenant_a, "replay")
    code = _code(device)
    first = tenant_client(tenant_a)
    _password_step(first, "replay")
    assert first.post("/auth/verify/", {"code": code})["Location"] == "/"
    # when: the same code in a new login
    second = tenant_client(tenant_a)
    _password_step(second, "replay")
    response = second.post("/auth/verify/", {"code": code})
    # then
    assert response.status_code == 200
    assert b"Codes can be used only once" in response.content
    assert second.get("/")["Location"].startswith("/auth/verify/")


def test_session_key_rotates_at_login(tenant_a):
    # given: an anonymous session with a key
    user_make(tenant=tenant_a, username="rotate", roles=["Client"], totp=True)
    client = tenant_client(tenant_a)
    client.get("/login/")
    with tenant_context(tenant_a):
        session = client.session
        session["probe"] = 1
        session.save()
    before = client.cookies["sessionid"].value
    # when
    _password_step(client, "rotate")
    # then
    after = client.cookies["sessionid"].value
    assert after != before


def test_sixth_wrong_password_locks_and_security_officer_unlocks(tenant_a):
    # given
    user_make(tenant=tenant_a, username="locky", roles=["Client"], totp=True)
    officer = user_make(tenant=tenant_a, username="so-unlock", roles=["Security Officer"])
    client = tenant_client(tenant_a)
    # when: five wrong passwords
    five = [_password_step(client, "locky", "wrong-password-1").status_code for _ in range(5)]
    # then: still a plain login failure
    assert five == [200] * 5
    # when: the sixth
    sixth = _password_step(client, "locky", "wrong-password-1")
    right_after = _password_step(client, "locky", PASSWORD)
    # then
    assert sixth.status_code == 429
    assert b"Your login is locked" in sixth.content
    assert right_after.status_code == 429
    # when: the Security Officer unlocks
    with tenant_context(tenant_a):
        cleared = lockout_unlock(actor=officer, username="locky", ip="10.1.1.1")
        actions = list(
            AuditRecord.objects.filter(target="user:locky")
            .order_by("id")
            .values_list("action", "actor_username")
        )
    unlocked = _password_step(client, "locky", PASSWORD)
    # then
    assert cleared == 1
    assert unlocked.status_code == 302
    assert unlocked["Location"] == "/auth/verify/?next=%2F"
    # the locking attempt and the refused attempt while locked, then the unlock
    assert actions == [("lockout", ""), ("lockout", ""), ("lockout.unlock", "so-unlock")]


def test_lockout_is_per_username_and_ip(tenant_a):
    # given: another login locked from the same IP
    user_make(tenant=tenant_a, username="victim", roles=["Client"], totp=True)
    user_make(tenant=tenant_a, username="bystander", roles=["Client"], totp=True)
    client = tenant_client(tenant_a)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(6):
            _password_step(client, "victim", "wrong-password-1")
        # when
        other_user = _password_step(client, "bystander", PASSWORD)
        other_ip = tenant_client(tenant_a, REMOTE_ADDR="10.9.9.9")
        same_user_at_once = _password_step(other_ip, "victim", PASSWORD)
        clock.shift(1)
        same_user_other_ip = _password_step(other_ip, "victim", PASSWORD)
    # then: another address is not locked; it only waits out the username's delay (1 s after
    # six failures, compliance.login_attempts)
    assert other_user.status_code == 302
    assert (same_user_at_once.status_code, same_user_at_once["Retry-After"]) == (429, "1")
    assert same_user_other_ip.status_code == 302


def test_idle_staff_session_expires(tenant_a, settings):
    # given: a verified staff session last seen 16 minutes ago
    user = user_make(tenant=tenant_a, username="idle", roles=["Viewer"])
    client = login(tenant_client(tenant_a), user, tenant_a)
    assert client.get("/broker/").status_code == 200
    with tenant_context(tenant_a):
        session = client.session
        session[LAST_SEEN] = int(time.time()) - 16 * 60
        session.save()
    # when
    response = client.get("/broker/")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/broker/"


def test_active_client_session_survives_within_timeout(tenant_a):
    # given: a client last seen 10 minutes ago (tenant default idle timeout: 30 minutes)
    user = user_make(tenant=tenant_a, username="busy", roles=["Client"])
    client = login(tenant_client(tenant_a), user, tenant_a)
    client.get("/")
    with tenant_context(tenant_a):
        session = client.session
        session[LAST_SEEN] = int(time.time()) - 10 * 60
        session.save()
    # when
    response = client.get("/")
    # then
    assert response.status_code == 200


def test_password_reset_link_works_once(tenant_a):
    # given
    user_make(tenant=tenant_a, username="forgot@example.com", roles=["Client"])
    client = tenant_client(tenant_a)
    # when
    client.post("/auth/reset/", {"email": "forgot@example.com"})
    # then
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/auth/reset/" in line)
    path = link.split("tenant-a.test", 1)[1]
    form = client.get(path, follow=True)
    assert form.status_code == 200
    set_path = form.redirect_chain[-1][0]
    new = "another-long-pass-77"
    done = client.post(set_path, {"new_password1": new, "new_password2": new})
    assert done["Location"] == "/auth/reset/done/"
    with tenant_context(tenant_a):
        assert get_user_model().objects.get(username="forgot@example.com").check_password(new)
    again = tenant_client(tenant_a).get(path, follow=True)
    assert b"This link is not valid" in again.content


@pytest.mark.parametrize("path", ["/auth/enrol/"])
def test_changing_second_factor_needs_a_fresh_password(tenant_a, path):
    # given: a verified session whose password entry is old
    user = user_make(tenant=tenant_a, username="change2fa", roles=["Client"], totp=True)
    client = login(tenant_client(tenant_a), user, tenant_a)
    with tenant_context(tenant_a):
        before = TOTPDevice.objects.filter(user=user).count()
    # when
    response = client.get(path)
    # then
    assert response.status_code == 302
    assert response["Location"] == "/auth/reauth/?next=%2Fauth%2Fenrol%2F"
    with tenant_context(tenant_a):
        assert TOTPDevice.objects.filter(user=user).count() == before
    # when: the password again
    back = client.post("/auth/reauth/", {"password": PASSWORD, "next": path})
    # then
    assert back["Location"] == path
    assert client.get(path).status_code == 200


def test_enrolment_confirms_the_device_and_shows_recovery_codes_once(tenant_a):
    # given: a staff login with no second factor yet, right after the password step
    user = user_make(tenant=tenant_a, username="enrolling", roles=["Viewer"])
    client = tenant_client(tenant_a)
    assert _password_step(client, "enrolling", next_url="/broker/")["Location"] == (
        "/auth/enrol/?next=%2Fbroker%2F"
    )
    page = client.get("/auth/enrol/?next=/broker/")
    with tenant_context(tenant_a):
        device = TOTPDevice.objects.get(user=user, confirmed=False)
    # when: a wrong code, then at once the right one (throttled after a failure), then the
    # right one once the throttle delay has passed
    wrong = client.post("/auth/enrol/", {"code": "000000", "next": "/broker/"})
    throttled = client.post("/auth/enrol/", {"code": _code(device), "next": "/broker/"})
    with tenant_context(tenant_a):
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_timestamp=timezone.now() - timedelta(seconds=5)
        )
    right = client.post("/auth/enrol/", {"code": _code(device), "next": "/broker/"})
    # then
    assert b"<svg" in page.content
    assert wrong.status_code == 200
    assert b"This code is not valid" in wrong.content
    assert b"This code is not valid" in throttled.content
    assert right.status_code == 200
    assert right.content.count(b"<li><code>") == 10
    assert client.get("/broker/").status_code == 200
    with tenant_context(tenant_a):
        assert list(TOTPDevice.objects.filter(user=user).values_list("pk", "confirmed")) == [
            (device.pk, True)
        ]
        from compliance.models import AuditRecord

        assert list(
            AuditRecord.objects.filter(target="user:enrolling")
            .order_by("id")
            .values_list("action", flat=True)
        ) == ["login", "2fa.enrol"]
