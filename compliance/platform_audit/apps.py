from django.apps import AppConfig


class PlatformAuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance.platform_audit"
    label = "platform_audit"
    verbose_name = "Platform audit"
