"""Failed logins: the delay per username whatever the address, the lock per (username, client
address) and its cool-off, and the client's address behind trusted proxies
(compliance.login_attempts, compliance.services.client_ip)."""

from datetime import UTC, datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import RequestFactory
from django_tenants.utils import tenant_context

from compliance.services import client_ip
from tests.support.factories import PASSWORD, user_make
from tests.support.tenants import tenant_client

START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
WRONG = "wrong-password-1"
PROXY = "10.0.0.2"  # REMOTE_ADDR of every request that came through the proxy


def _password_step(tenant, username, password, **meta):
    return tenant_client(tenant, **meta).post(
        "/login/", {"username": username, "password": password}
    )


def _failures(tenant, username) -> dict[str, int]:
    with tenant_context(tenant):
        return dict(
            AccessAttempt.objects.filter(username=username).values_list(
                "ip_address", "failures_since_start"
            )
        )


def test_v6_3_1_guesses_from_many_addresses_are_slowed_per_username(tenant_a):
    # given
    user_make(tenant=tenant_a, username="sprayed", roles=["Client"], totp=True)
    with time_machine.travel(START, tick=False) as clock:
        # when: one wrong password from each of 50 addresses
        sprayed = [
            _password_step(tenant_a, "sprayed", WRONG, REMOTE_ADDR=f"198.51.100.{n}")
            for n in range(1, 51)
        ]
        # then: six are checked; the other 44 are refused unchecked, and do not prolong the wait
        assert [r.status_code for r in sprayed] == [200] * 6 + [429] * 44
        assert {r["Retry-After"] for r in sprayed[6:]} == {"1"}
        assert b"Too many attempts for this login" in sprayed[6].content
        assert sum(_failures(tenant_a, "sprayed").values()) == 6
        # when: the wait is over, one more guess is checked; the next wait is twice as long
        clock.shift(1)
        checked = _password_step(tenant_a, "sprayed", WRONG, REMOTE_ADDR="198.51.100.60")
        refused = _password_step(tenant_a, "sprayed", WRONG, REMOTE_ADDR="198.51.100.61")
        owner_early = _password_step(tenant_a, "sprayed", PASSWORD, REMOTE_ADDR="192.0.2.10")
        clock.shift(2)
        owner = _password_step(tenant_a, "sprayed", PASSWORD, REMOTE_ADDR="192.0.2.10")
    # then: the owner waits, but is not locked
    assert checked.status_code == 200
    assert (refused.status_code, refused["Retry-After"]) == (429, "2")
    assert (owner_early.status_code, owner_early["Retry-After"]) == (429, "2")
    assert owner.status_code == 302
    assert owner["Location"] == "/auth/verify/?next=%2F"


def test_v6_1_1_security_officer_behind_a_proxy_is_not_locked_by_another_clients_guesses(
    tenant_a, settings
):
    # given: one proxy in front, which appends the address it was called from
    settings.AXES_IPWARE_PROXY_COUNT = 1
    user_make(tenant=tenant_a, username="so-proxied", roles=["Security Officer"], totp=True)
    with time_machine.travel(START, tick=False) as clock:
        # when: seven wrong passwords from one client, each with another forged address in front
        guesses = [
            _password_step(
                tenant_a,
                "so-proxied",
                WRONG,
                REMOTE_ADDR=PROXY,
                HTTP_X_FORWARDED_FOR=f"10.{n}.0.1, 203.0.113.9",
            ).status_code
            for n in range(7)
        ]
        # ... then the officer, from another client behind the same proxy, once the wait is over
        clock.shift(1)
        officer = _password_step(
            tenant_a,
            "so-proxied",
            PASSWORD,
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
        guesser = _password_step(
            tenant_a,
            "so-proxied",
            PASSWORD,
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    # then: the guessing client is locked, its forged entries changed nothing; the officer is not
    assert guesses == [200] * 5 + [429, 429]
    assert officer.status_code == 302
    assert officer["Location"] == "/auth/verify/?next=%2Fbroker%2F"
    assert guesser.status_code == 429
    assert _failures(tenant_a, "so-proxied") == {"203.0.113.9": 6}


def test_v6_3_1_lock_ends_after_the_cool_off(tenant_a):
    # given: a login locked from one address (cool-off: 30 minutes after the last failure)
    user_make(tenant=tenant_a, username="cooled", roles=["Client"], totp=True)
    with time_machine.travel(START, tick=False) as clock:
        locking = [_password_step(tenant_a, "cooled", WRONG).status_code for _ in range(6)]
        # when
        clock.shift(29 * 60)
        still = _password_step(tenant_a, "cooled", PASSWORD)
        clock.shift(int(still["Retry-After"]))
        after = _password_step(tenant_a, "cooled", PASSWORD)
    # then: locked up to and including the 30th minute, open right after it
    assert locking == [200] * 5 + [429]
    assert (still.status_code, still["Retry-After"]) == (429, "61")
    assert b"It unlocks by itself in about 1 minute," in still.content
    assert after.status_code == 302
    assert after["Location"] == "/auth/verify/?next=%2F"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", PROXY),  # no proxy trusted: the header is the client's own
        (1, None, PROXY),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the forged entry is left of the proxy's
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (2, "203.0.113.9", PROXY),  # fewer entries than proxies: not through them all
        (1, "6.6.6.6, not-an-address", PROXY),
    ],
)
def test_v4_1_3_client_address_is_read_from_trusted_proxies_only(
    settings, proxies, forwarded, expected
):
    # given
    settings.AXES_IPWARE_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    # when
    address = client_ip(RequestFactory().post("/login/", **meta))
    # then
    assert address == expected
