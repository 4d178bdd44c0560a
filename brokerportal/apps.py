from django.apps import AppConfig


class BrokerportalConfig(AppConfig):
    name = "brokerportal"
    verbose_name = "Broker Portal"

    def ready(self):
        from brokerportal.wagtail_csp import wagtail_choosers_patch

        wagtail_choosers_patch()
