"""Request guards of a tenant host and of the operator's (public) host: session timeouts and
the mandatory second factor.

Order in MIDDLEWARE: after django_otp's OTPMiddleware (it sets `request.user.is_verified`).
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

from compliance.sessions import AUTH_AT, LAST_SEEN

# Refresh the last-seen stamp at most this often, so not every request writes the session.
LAST_SEEN_RESOLUTION_S = 30


def _on_tenant(request) -> bool:
    tenant = getattr(request, "tenant", None)
    return tenant is not None and tenant.schema_name != "public"


def _on_public(request) -> bool:
    """The operator's host: every login there is platform operator staff."""
    tenant = getattr(request, "tenant", None)
    return tenant is not None and tenant.schema_name == "public"


def _security_settings(request):
    if not hasattr(request, "_security_settings"):
        from compliance.selectors import security_settings_get

        request._security_settings = security_settings_get()
    return request._security_settings


def second_factor_required(request, user) -> bool:
    """Staff always; clients when the tenant requires it (the default), and any client who has
    a confirmed second factor: a factor that exists is always asked for."""
    return user.is_staff or _security_settings(request).client_2fa_required or user_has_device(user)


class SessionTimeoutMiddleware:
    """Ends a session after the idle timeout (staff and operators: settings.STAFF_IDLE_TIMEOUT_S;
    clients: the tenant's setting) or the absolute timeout since login (tenant setting, hours;
    operators: settings.OPERATOR_ABSOLUTE_SESSION_HOURS)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            (_on_tenant(request) or _on_public(request))
            and user is not None
            and user.is_authenticated
        ):
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request, user) -> None:
        now = int(time.time())
        session = request.session
        auth_at = session.setdefault(AUTH_AT, now)
        last_seen = session.get(LAST_SEEN, now)
        if _on_public(request):
            idle_limit = settings.STAFF_IDLE_TIMEOUT_S
            absolute_limit = settings.OPERATOR_ABSOLUTE_SESSION_HOURS * 3600
        else:
            if user.is_staff:
                idle_limit = settings.STAFF_IDLE_TIMEOUT_S
            else:
                idle_limit = _security_settings(request).client_idle_timeout_minutes * 60
            absolute_limit = _security_settings(request).absolute_session_hours * 3600
        if now - last_seen > idle_limit or now - auth_at > absolute_limit:
            logout(request)  # flushes the session and makes request.user anonymous
            messages.info(request, "Your session expired. Please log in again.")
            return
        if now - last_seen >= LAST_SEEN_RESOLUTION_S or LAST_SEEN not in session:
            session[LAST_SEEN] = now


# Paths an authenticated but not yet verified user may reach: the login steps themselves (the
# client portal keeps them under /auth/, plus its login and logout pages).
SECOND_FACTOR_EXEMPT_PREFIXES = ("/auth/", "/login/", "/logout/", "/static/", "/media/", "/healthz")
# On the operator's host: the admin's password step, its logout and our second-factor step.
OPERATOR_EXEMPT_PREFIXES = ("/admin/login/", "/admin/logout/", "/operator/", "/static/", "/healthz")


class SecondFactorMiddleware:
    """Keeps users who must use a second factor but have not confirmed one in this session away
    from everything but the login steps: staff from /broker/ and the API, clients (when the
    tenant requires it) from the portal. Wagtail's own login page is replaced by ours."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _on_public(request):
            return self._operator(request)
        if not _on_tenant(request):
            return self.get_response(request)
        path = request.path
        if path.startswith("/broker/login/"):
            query = urlencode({"next": request.GET.get("next", "/broker/")})
            return redirect(f"{reverse('clientportal:login')}?{query}")
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or user.is_verified()
            or path.startswith(SECOND_FACTOR_EXEMPT_PREFIXES)
            or not second_factor_required(request, user)
        ):
            return self.get_response(request)
        if path.startswith("/api/"):
            return JsonResponse({"detail": "A second factor is required."}, status=403)
        step = "clientportal:otp_verify" if user_has_device(user) else "clientportal:otp_enrol"
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")

    def _operator(self, request):
        """Operators always need the second factor, for the admin and everything else."""
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or user.is_verified()
            or request.path.startswith(OPERATOR_EXEMPT_PREFIXES)
        ):
            return self.get_response(request)
        query = urlencode({"next": request.get_full_path()})
        step = reverse("operator_otp_verify", urlconf=getattr(request, "urlconf", None))
        return redirect(f"{step}?{query}")
