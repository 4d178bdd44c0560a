from django.contrib import admin
from django_tenants.admin import TenantAdminMixin

from .models import Domain, Tenant


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ("name", "schema_name", "kind", "country", "status", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("name", "legal_name", "schema_name")
    inlines = [DomainInline]
    readonly_fields = ("schema_name", "created_at")

    def has_add_permission(self, request):
        # New tenants come from tenant_provision (cloned schema + first security officer).
        return False
