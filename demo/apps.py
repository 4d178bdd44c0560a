from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "Demo"

    def ready(self):
        from demo import checks  # noqa: F401 - registers the deployment check on demo logins
