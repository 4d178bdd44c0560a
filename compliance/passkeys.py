"""Passkeys (WebAuthn, django-otp-webauthn) per tenant host.

The relying party ID is the host the request came to (a tenant's domain, checked against
ALLOWED_HOSTS and the tenant's Domain rows before any view runs), so a passkey made on one
tenant's host is useless on another's, and the only origin accepted is that host's own.
"""

from django.http import HttpRequest
from django.http.request import split_domain_port
from django_otp_webauthn.helpers import WebAuthnHelper
from webauthn.helpers.structs import ResidentKeyRequirement


def passkey_rp_id(request: HttpRequest) -> str:
    host, _ = split_domain_port(request.get_host())
    return host


def passkey_rp_name(request: HttpRequest) -> str:
    tenant = getattr(request, "tenant", None)
    return getattr(tenant, "name", "") or "Broker Portal"


def passkey_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


class TenantWebAuthnHelper(WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        return [passkey_origin(self.request)]

    def get_discoverable_credentials_preference(self) -> ResidentKeyRequirement:
        # Passwordless sign-in is a tenant setting that may be switched on later: ask for a
        # discoverable credential where the authenticator can store one, never require it
        # (security keys with little memory still work as a second factor).
        return ResidentKeyRequirement.PREFERRED
