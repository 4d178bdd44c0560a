from django.apps import AppConfig


class TenantsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tenants"
    verbose_name = "Tenants"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .middleware import tenant_lookups_clear
        from .models import Domain, Tenant

        for model in (Tenant, Domain):
            for signal in (post_save, post_delete):
                signal.connect(
                    tenant_lookups_clear, sender=model, dispatch_uid=f"lookups:{model.__name__}"
                )
