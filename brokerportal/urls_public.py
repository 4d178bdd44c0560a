"""The operator's host: Django admin over tenants and the shared ledger, and the health check."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
