"""The base URL (scheme, host and port) of links to a tenant's site in e-mails.

While a request is served, links use that request's own scheme, host and port, so an e-mail
sent from the demo on http://harbor.localhost:8000 links back there (`RequestBaseUrlMiddleware`
keeps it for the request; eager tasks run inside it). Outside a request (a worker), the
tenant's primary domain with `LINK_SCHEME` (https) and `LINK_PORT` (none; the development
settings use http and the server's port).
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from django.db import connection

_request_base_url: ContextVar[str] = ContextVar("request_base_url", default="")


def tenant_base_url(tenant=None) -> str:
    """`scheme://host[:port]` of the tenant's site (default: the current one), no slash."""
    tenant = tenant or getattr(connection, "tenant", None)
    from_request = _request_base_url.get()
    if from_request and (tenant is None or tenant == getattr(connection, "tenant", None)):
        return from_request
    domain = tenant.get_primary_domain() if tenant is not None else None
    if domain is None:
        return ""
    port = getattr(settings, "LINK_PORT", None)
    scheme = getattr(settings, "LINK_SCHEME", "https")
    return f"{scheme}://{domain.domain}" + (f":{port}" if port else "")


class RequestBaseUrlMiddleware:
    """Remembers the request's scheme, host and port for the links built while it runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_base_url.set(f"{request.scheme}://{request.get_host()}")
        try:
            return self.get_response(request)
        finally:
            _request_base_url.reset(token)
