"""The page of a locked login (django-axes, settings.AXES_LOCKOUT_CALLABLE): the tenant's branded
page on a tenant host, a plain one on the operator's host, whose schema has no brand."""

from axes.helpers import get_client_username, get_failure_limit
from django.conf import settings
from django.shortcuts import render


def lockout_response(request, original_response=None, credentials=None):
    tenant = getattr(request, "tenant", None)
    on_public = tenant is None or tenant.schema_name == "public"
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
    }
    template = "tenants/operator_locked.html" if on_public else settings.AXES_LOCKOUT_TEMPLATE
    return render(request, template, context, status=settings.AXES_HTTP_RESPONSE_CODE)
