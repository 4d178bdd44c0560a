from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The staff's workplace in the Broker Portal: the home panels, clients and accounts (the
    listing and the account 360) and the exception reports."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "desk"
    verbose_name = "Desk"
