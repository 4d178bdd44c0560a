from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The platform operator's console on the public host: tenants, instruments, market data
    and health. No models of its own."""

    name = "console"
    verbose_name = "Operator console"
