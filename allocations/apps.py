from django.apps import AppConfig


class AllocationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "allocations"
    verbose_name = "Allocations"

    def ready(self) -> None:
        # Executions imported into an advisor master become fills of its blocks.
        from allocations.services.blocks import blocks_from_import
        from ledger.imports import master_executions_subscribe

        master_executions_subscribe(blocks_from_import)
