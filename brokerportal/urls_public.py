"""The operator's host: Django admin over tenants and the shared ledger, and the health check."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from tenants.operator_views import operator_otp_verify

from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # The second login step; compliance.middleware sends unverified operator sessions here.
    path("operator/verify/", operator_otp_verify, name="operator_otp_verify"),
    path("admin/", admin.site.urls),
    # The operator console: behind the same second factor and timeouts as the admin.
    path("console/", include("console.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
