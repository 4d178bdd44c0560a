from django.apps import AppConfig


class TenantsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tenants"
    verbose_name = "Tenants"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .middleware import tenant_lookups_clear
        from .models import Domain, Tenant
        from .roles import role_cache_clear

        m2m_changed.connect(
            role_cache_clear, sender=get_user_model().groups.through, dispatch_uid="roles:cache"
        )

        for model in (Tenant, Domain):
            for signal in (post_save, post_delete):
                signal.connect(
                    tenant_lookups_clear, sender=model, dispatch_uid=f"lookups:{model.__name__}"
                )
