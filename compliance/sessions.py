"""Session stamps: when the user logged in, was last seen, and last re-entered the password.

The idle and absolute timeouts (compliance.middleware.SessionTimeoutMiddleware) and the
re-authentication before sensitive actions (`reauth_required`) read them.
"""

import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

AUTH_AT = "_auth_at"
LAST_SEEN = "_last_seen"
REAUTH_AT = "_reauth_at"
# Minutes within which a password entry counts as "just now" for sensitive actions.
REAUTH_MAX_AGE_S = getattr(settings, "REAUTH_MAX_AGE_S", 5 * 60)


def session_stamp_login(request) -> None:
    """Called right after login (the session key is already rotated by django.contrib.auth)."""
    now = int(time.time())
    request.session[AUTH_AT] = now
    request.session[LAST_SEEN] = now
    request.session[REAUTH_AT] = now


def reauth_mark(request) -> None:
    request.session[REAUTH_AT] = int(time.time())


def reauth_recent(request, max_age_s: int = REAUTH_MAX_AGE_S) -> bool:
    """Whether the user entered their password within the last `max_age_s` seconds."""
    stamp = request.session.get(REAUTH_AT)
    return stamp is not None and time.time() - stamp <= max_age_s


def reauth_redirect(request, next_url: str | None = None):
    """To the password page, then back to `next_url` (default: this page). A form posted
    without a fresh password comes back to the page the form is on, to be sent again."""
    query = urlencode({"next": next_url or request.get_full_path()})
    return redirect(f"{reverse('clientportal:reauth')}?{query}")


def reauth_required(view_func=None, *, max_age_s: int = REAUTH_MAX_AGE_S):
    """Decorator for sensitive views (changing 2FA, withdrawals): asks for the password again
    unless it was entered within `max_age_s`. Anonymous users go to the login page."""

    def decorator(func):
        @wraps(func)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            if not reauth_recent(request, max_age_s):
                return reauth_redirect(request)
            return func(request, *args, **kwargs)

        return wrapped

    return decorator(view_func) if view_func is not None else decorator
