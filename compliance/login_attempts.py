"""Failed logins: django-axes' lock per (username, client address) with a cool-off, and a delay
per username whatever the address (ASVS 5.0 6.1.1, 6.3.1).

- The lock: the `AXES_FAILURE_LIMIT`th wrong password for a username from one client address
  locks that pair until `AXES_COOLOFF_TIME` after the last failure, or until a Security Officer
  unlocks it. Guesses from other addresses never lock anybody, a Security Officer included:
  behind a proxy the client's address is read from the trusted proxies
  (`compliance.services.client_ip`), so one address is one client, not everybody.
- The delay: from the `LOGIN_DELAY["free_failures"]`th failure for a username on, counted over
  every address, each further attempt for it is refused until `first_seconds`, then twice as
  long, and so on up to `max_seconds`, have passed since the last failure. Spraying from many
  addresses gets one guess per delay; the owner of the login waits at most `max_seconds`, is
  never locked by it, and a second factor still stands behind the password. The count is
  forgotten `memory_seconds` after the last failure, and at a successful password.

Attempts refused by the lock or the delay are not checked and not counted (axes'
`AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT` off): retrying does not prolong either. They get
429, the lockout page and `Retry-After`.

The counts live in the default cache, whose keys carry the tenant's schema; keys hold a
SHA-256 of the username, not the username.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

DEFAULTS = {"free_failures": 6, "first_seconds": 1, "max_seconds": 15 * 60}


@dataclass(frozen=True)
class LoginRefusal:
    """Why an attempt was not checked: `locked` (this address) or `delayed` (this username)."""

    kind: str
    retry_after: int

    @property
    def minutes(self) -> int:
        return max(1, round(self.retry_after / 60))


def _rules() -> dict:
    return {**DEFAULTS, "memory_seconds": 24 * 60 * 60, **getattr(settings, "LOGIN_DELAY", {})}


def _keys(username: str) -> tuple[str, str]:
    digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    return f"login-failures:{digest}", f"login-failures-at:{digest}"


def login_delay_remaining(username: str | None, *, now: float | None = None) -> int:
    """Seconds until the next attempt for `username` is checked (0: now)."""
    if not username:
        return 0
    rules = _rules()
    count_key, at_key = _keys(username)
    found = cache.get_many([count_key, at_key])
    count, last = found.get(count_key, 0), found.get(at_key)
    now = time.time() if now is None else now
    if last is None or count < rules["free_failures"] or now - last > rules["memory_seconds"]:
        return 0
    wait = min(rules["first_seconds"] * 2 ** (count - rules["free_failures"]), rules["max_seconds"])
    return max(0, math.ceil(last + wait - now))


def login_failure_count(username: str | None) -> None:
    """One more checked failure for `username`, from whichever address."""
    if not username:
        return
    memory = _rules()["memory_seconds"]
    count_key, at_key = _keys(username)
    now = time.time()
    last = cache.get(at_key)
    if last is None or now - last > memory:
        cache.set(count_key, 0, timeout=memory)
    else:
        cache.add(count_key, 0, timeout=memory)
    cache.incr(count_key)
    cache.touch(count_key, timeout=memory)
    cache.set(at_key, now, timeout=memory)


def login_failures_clear(username: str | None) -> None:
    if username:
        cache.delete_many(list(_keys(username)))


class LoginAttemptsHandler(AxesDatabaseHandler):
    """django-axes' database handler (`AXES_HANDLER`) with the per-username delay."""

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            remaining = self._lock_remaining(request, credentials)
            request.login_refusal = LoginRefusal("locked", remaining)
            return True
        wait = login_delay_remaining(get_client_username(request, credentials))
        if wait:
            request.login_refusal = LoginRefusal("delayed", wait)
            return True
        return False

    def _lock_remaining(self, request, credentials) -> int:
        cool_off = get_cool_off(request)
        last = max(
            (
                attempt_time
                for attempts in self.get_user_attempts(request, credentials)
                for attempt_time in attempts.values_list("attempt_time", flat=True)
            ),
            default=None,
        )
        if cool_off is None or last is None:
            return 0
        # Still locked at the very end of the cool-off (axes counts attempts at or after
        # now - cool-off): the first second at which an attempt is checked.
        return max(1, math.floor((last + cool_off - timezone.now()).total_seconds()) + 1)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        refused = request is not None and getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or refused or self.is_whitelisted(request, credentials):
            return
        login_failure_count(get_client_username(request, credentials))
        if request.axes_locked_out:  # this failure locked the pair
            cool_off = get_cool_off(request)
            seconds = int(cool_off.total_seconds()) if cool_off is not None else 0
            request.login_refusal = LoginRefusal("locked", seconds)

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        login_failures_clear(user.get_username())


class LoginRetryAfterMiddleware:
    """`Retry-After` on the lockout page that axes' middleware (the next one) answers a refused
    attempt with."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        refusal = getattr(request, "login_refusal", None)
        if refusal is not None and refusal.retry_after and getattr(request, "axes_locked_out", 0):
            response["Retry-After"] = str(refusal.retry_after)
        return response
