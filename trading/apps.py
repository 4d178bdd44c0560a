from django.apps import AppConfig


class TradingConfig(AppConfig):
    """Orders: the ticket, pre-trade checks and what-if preview, the executing-broker seam (a
    simulated venue for paper accounts, FIXML order files), advisors' group orders, intraday
    margin and margin calls. Orders live in the tenant's schema; fills are booked into the shared
    ledger through its execution path."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "trading"
    verbose_name = "Trading"

    def ready(self) -> None:
        from ledger.services.market import prices_loaded_subscribe

        from . import margin_tasks  # noqa: F401 (registers the margin monitor's tasks)
        from .margin_monitor import hooks_connect
        from .venues import paper_prices_arrived

        prices_loaded_subscribe(paper_prices_arrived)
        hooks_connect()
        self._fixml_venue_register()

    @staticmethod
    def _fixml_venue_register() -> None:
        from django.conf import settings

        from .fixml_venue import FixmlFileVenue
        from .venues import _VENUES, venue_register

        venue = FixmlFileVenue()
        venue_register(venue)
        if getattr(settings, "TRADING_LIVE_VENUE", "") == venue.name:
            _VENUES["live"] = venue
