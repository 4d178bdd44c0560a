import threading
import time

from django.conf import settings
from django.db import connection
from django.http import Http404
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

# Host → tenant, kept per process for a few seconds: otherwise two statements (search path, domain
# lookup) on every request. Saving or deleting a tenant or domain empties this process's copy at
# once (`tenant_lookups_clear`, connected in TenantsConfig.ready); other processes follow within
# TENANT_LOOKUP_SECONDS (a suspension, a removed domain).
TENANT_LOOKUP_SECONDS = 5.0
_lookups: dict[str, tuple[object, float]] = {}


def tenant_lookups_clear(**kwargs) -> None:
    _lookups.clear()


class TenantMiddleware(TenantMainMiddleware):
    """Host → tenant schema. Unknown hosts get 404 (never the public site); suspended tenants a
    403 page, before any of their data is touched. The public schema answers on
    settings.PLATFORM_HOST only; its other host names (PLATFORM_HOSTS) serve /healthz alone.

    Wagtail renders page previews by sending a dummy request through the whole middleware chain
    inside the admin's request; that nested request may resolve to another host, so the schema
    of the outer request is restored when a nested one ends.
    """

    _depth = threading.local()

    def __call__(self, request):
        depth = getattr(self._depth, "value", 0)
        outer_tenant = getattr(connection, "tenant", None) if depth else None
        self._depth.value = depth + 1
        try:
            return super().__call__(request)
        finally:
            self._depth.value = depth
            if outer_tenant is not None:
                connection.set_tenant(outer_tenant)

    def get_tenant(self, domain_model, hostname):
        now = time.monotonic()
        found = _lookups.get(hostname)
        if found is not None and now - found[1] < TENANT_LOOKUP_SECONDS:
            return found[0]
        tenant = super().get_tenant(domain_model, hostname)
        _lookups[hostname] = (tenant, now)
        return tenant

    def process_request(self, request):
        response = super().process_request(request)
        if response is not None:
            return response
        tenant = request.tenant
        if (
            tenant.schema_name == "public"
            and self.hostname_from_request(request) != settings.PLATFORM_HOST
            and request.path_info != "/healthz"
        ):
            raise Http404("The operator's host is PLATFORM_HOST.")
        if tenant.schema_name != "public" and not tenant.is_active:
            connection.set_schema_to_public()
            return render(
                request, "tenants/suspended.html", {"tenant_name": tenant.name}, status=403
            )
        return None


class TenantOnlyRedirectMiddleware:
    """Wagtail's redirects live in tenant schemas; the public host has none to look up."""

    def __init__(self, get_response):
        from wagtail.contrib.redirects.middleware import RedirectMiddleware

        self.get_response = get_response
        self.redirects = RedirectMiddleware(get_response)

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public":
            return self.get_response(request)
        return self.redirects(request)
