"""A small fixed-window rate limiter in the `default` cache, for the public forms that anybody
can send without logging in: starting an application, asking for a password reset, uploading
an applicant's documents (ASVS 5.0 V2.4.1). The API has DRF's throttles instead
(`brokerportal.throttles`).

Limits are settings (`RATE_LIMITS`), per action and per key: the client's address (`ip`) and,
where the form names one, the e-mail address it is about (`address`) or the application
(`application`), so that neither one address nor many addresses from one place can flood a
mailbox or the applications queue. Rates are written like DRF's: `"5/hour"`, `"30/minute"`.

The cache's key function (`django_tenants.cache.make_key`) puts the tenant's schema in front of
every key, so each tenant's limits are its own. Keys hold a SHA-256 of the value, not the
address itself. A refused attempt counts too, so retrying early does not help.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

from compliance.services import client_ip

PERIODS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"Too many attempts; retry after {retry_after} s.")
        self.retry_after = retry_after


def rate_parse(rate: str) -> tuple[int, int]:
    """`"5/hour"` -> (5, 3600): how many hits per how many seconds."""
    count, period = rate.split("/")
    return int(count), PERIODS[period.strip()[0].lower()]


def rate_limit_hit(*, action: str, keys: dict[str, str]) -> None:
    """Counts one attempt of `action` for each (kind, value) in `keys` that has a limit in
    `RATE_LIMITS[action]`; raises RateLimited (with the longest wait) if any is over it."""
    limits = getattr(settings, "RATE_LIMITS", {}).get(action, {})
    now = time.time()
    waits = []
    for kind, value in keys.items():
        if not value or kind not in limits:
            continue
        allowed, window = rate_parse(limits[kind])
        bucket = int(now // window)
        digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
        key = f"ratelimit:{action}:{kind}:{digest}:{window}:{bucket}"
        cache.add(key, 0, timeout=window + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 1)
            count = 1
        if count > allowed:
            waits.append(math.ceil((bucket + 1) * window - now))
    if waits:
        raise RateLimited(max(1, max(waits)))


def rate_limited_response(request, error: RateLimited):
    minutes = math.ceil(error.retry_after / 60)
    response = render(
        request,
        "clientportal/rate_limited.html",
        {"retry_after": error.retry_after, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(error.retry_after)
    return response


def rate_limited(
    action: str, *, keys: Callable[[object], dict[str, str]], methods: tuple[str, ...] = ("POST",)
):
    """A view decorator: each request with one of `methods` counts as an attempt of `action`
    for the keys `keys(request)` returns and the client's address (REMOTE_ADDR, never a
    header the client chooses; `compliance.services.client_ip`); over a limit, the
    view is not called and the answer is 429 with `Retry-After`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                try:
                    rate_limit_hit(
                        action=action, keys={"ip": client_ip(request) or "", **keys(request)}
                    )
                except RateLimited as error:
                    return rate_limited_response(request, error)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def posted_address(request) -> dict[str, str]:
    """The e-mail address a form is about, as the `address` key."""
    return {"address": request.POST.get("email", "")}
