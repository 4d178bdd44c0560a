"""Authentication of API calls by key (`Authorization: Bearer bpk_...`), on django-rest-knox.

Unlike knox's own class, an expired key is kept (its row is the record of what existed) and
refused, and every condition that ends a login's session ends its keys too: the user is
inactive, locked out after failed logins, or no longer has the second factor the key was made
under. A call from outside the key's allowed networks is refused with 403."""

import ipaddress
from hmac import compare_digest

from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone
from django_otp import devices_for_user
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions

from compliance.services.audit import client_ip

from .models import ApiKey
from .services import api_key_used

INVALID = "Invalid, expired or revoked API key."


def user_locked_out(user) -> bool:
    """Whether failed logins have locked `user` from any address (compliance.login_attempts)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(
        username=user.get_username(),
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=since,
    ).exists()


def address_allowed(key: ApiKey, ip: str | None) -> bool:
    if not key.allowed_networks:
        return True
    if ip is None:
        return False
    address = ipaddress.ip_address(ip)
    return any(address in ipaddress.ip_network(net) for net in key.allowed_networks)


class ApiKeyAuthentication(TokenAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, key = result
        ip = client_ip(request)
        if not address_allowed(key, ip):
            raise exceptions.PermissionDenied("This API key may not be used from this address.")
        api_key_used(key=key, ip=ip)
        return user, key

    def authenticate_credentials(self, token):
        token = token.decode("utf-8", errors="replace")
        digest = hash_token(token)
        now = timezone.now()
        for key in ApiKey.objects.filter(
            token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH]
        ).select_related("user"):
            if not compare_digest(digest, key.digest):
                continue
            if key.revoked_at is not None or key.expiry is None or key.expiry <= now:
                break
            return self.validate_user(key)
        raise exceptions.AuthenticationFailed(INVALID)

    def validate_user(self, auth_token):
        user = auth_token.user
        if not user.is_active or user_locked_out(user):
            raise exceptions.AuthenticationFailed(INVALID)
        if not any(
            d.persistent_id == auth_token.second_factor
            for d in devices_for_user(user, confirmed=True)
        ):
            raise exceptions.AuthenticationFailed(INVALID)
        return user, auth_token

    def authenticate_header(self, request):
        return "Bearer"
