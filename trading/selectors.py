"""Trading's reads: the firm's settings, an account's product permissions, orders for the
portal. Every read of orders is scoped to accounts the caller obtained through
`ledger.access`."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from ledger.models import Instrument
from ledger.selectors import instruments_search

from .models import AccountProducts, Fill, Order, TradingSettings
from .states import FINAL, OPEN

# onboarding's trading permissions (`onboarding.validation.ASSET_CLASSES`) → products
_FROM_APPLICATION = {"stocks": "stocks", "bonds": "stocks", "futures": "futures", "forex": "fx"}


def trading_settings() -> TradingSettings:
    return TradingSettings.load()


def account_products(*, account_id: int) -> AccountProducts:
    """The account's product permissions: as staff set them, else as the account's application
    asked at onboarding (options: level 2, long options), else stocks only. Not saved."""
    products = AccountProducts.objects.filter(account_id=account_id).first()
    if products is not None:
        return products
    from onboarding.models import Application

    asked = (
        Application.objects.filter(account_id=account_id)
        .values_list("trading_permissions", flat=True)
        .first()
    )
    return products_from_application(account_id=account_id, asked=asked)


def products_from_application(*, account_id: int, asked: list[str] | None) -> AccountProducts:
    """The products an application's trading permissions ask for (not saved)."""
    products = AccountProducts(account_id=account_id, stocks=True)
    if asked:
        products.stocks = any(_FROM_APPLICATION.get(p) == "stocks" for p in asked)
        products.futures = "futures" in asked
        products.fx = "forex" in asked
        products.options_level = 2 if "options" in asked else 0
    return products


def _orders(account_ids: Iterable[int]) -> QuerySet[Order]:
    return (
        Order.objects.filter(account_id__in=list(account_ids))
        .select_related("instrument", "account")
        .prefetch_related(Prefetch("fills", queryset=Fill.objects.order_by("executed_at", "id")))
    )


def orders_for(*, accounts, state: str = "open", limit: int = 200) -> list[Order]:
    """Orders of `accounts` (already obtained through `ledger.access`): "open", "filled",
    "cancelled" (cancelled, rejected, expired, replaced) or "all"; newest first."""
    ids = [a.pk for a in accounts]
    orders = _orders(ids)
    if state == "open":
        orders = orders.filter(status__in=sorted(OPEN))
    elif state == "filled":
        orders = orders.filter(status__in=["filled"]) | orders.filter(
            status__in=sorted(FINAL - {"filled"}), filled_quantity__gt=0
        )
    elif state == "cancelled":
        orders = orders.filter(status__in=sorted(FINAL - {"filled"}))
    return list(orders.order_by("-created_at", "-id")[:limit])


def open_orders_count(*, accounts) -> int:
    return Order.objects.filter(
        account_id__in=[a.pk for a in accounts], status__in=sorted(OPEN)
    ).count()


def instruments_find(*, query: str, limit: int = 12) -> list[Instrument]:
    """Instruments for the ticket's search by symbol (exact first) or name, with their latest
    close (`latest_close`, `latest_date`): `ledger.selectors.instruments_search`."""
    from django.db import connection

    return instruments_search(tenant=getattr(connection, "tenant", None), query=query, limit=limit)
