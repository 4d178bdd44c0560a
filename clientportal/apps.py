from django.apps import AppConfig


class ClientportalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "clientportal"
    verbose_name = "Client portal"
