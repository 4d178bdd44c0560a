from django.urls import path

from . import views

urlpatterns = [
    path("", views.tenants_index, name="console_tenants"),
    path("tenants/new/", views.tenant_create, name="console_tenant_create"),
    path("tenants/<int:tenant_id>/status/", views.tenant_status, name="console_tenant_status"),
    path("instruments/", views.instruments_index, name="console_instruments"),
    path("instruments/new/", views.instrument_create, name="console_instrument_create"),
    path("instruments/<int:instrument_id>/", views.instrument_edit, name="console_instrument"),
    path("market/", views.market_data, name="console_market"),
    path("health/", views.health, name="console_health"),
]
