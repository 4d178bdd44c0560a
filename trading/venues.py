"""The executing-broker seam: where an accepted order goes and how its fills come back.

A venue implements `ExecutingBroker` (submit, cancel, replace); it reports executions through
the fill callback `trading.services.fills.order_fill`. Paper accounts trade on the
`SimulatedVenue`, which fills against the market data: market orders at the next price with a
slippage, limit orders when the price reaches the limit, stop orders once the price crosses
the stop (then as market, or as limit for a stop-limit), at most a share of the day's volume
per price when the volume is known. Orders of real accounts wait at the `HeldVenue` for the
carrying broker's executions (file writers register as further venues)."""

from __future__ import annotations

import logging
from decimal import ROUND_DOWN, Decimal
from typing import Protocol

from django.db import transaction

from .intent import Side
from .models import Order
from .states import WORKING, TransitionRefused

logger = logging.getLogger(__name__)
BUYS = frozenset({Side.BUY, Side.BUY_TO_COVER})
BPS = Decimal(10000)


class ExecutingBroker(Protocol):
    name: str

    def submit(self, order: Order) -> None: ...

    def cancel(self, order: Order) -> None: ...

    def replace(self, old: Order, new: Order) -> None: ...


class HeldVenue:
    """Orders wait here for executions reported by the carrying broker."""

    name = "held"

    def submit(self, order: Order) -> None:
        pass

    def cancel(self, order: Order) -> None:
        pass

    def replace(self, old: Order, new: Order) -> None:
        pass


def fill_terms(
    *,
    side: str,
    order_type: str,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    triggered: bool,
    price: Decimal,
    slippage_bps: Decimal,
) -> tuple[bool, Decimal | None]:
    """(triggered now, fill price or None) of a working order at `price`. Pure."""
    buy = side in BUYS
    if order_type in ("stop", "stop_limit") and not triggered:
        triggered = price >= stop_price if buy else price <= stop_price
        if not triggered:
            return False, None
    as_market = order_type == "market" or order_type == "stop"
    if as_market:
        slip = price * slippage_bps / BPS
        return triggered, (price + slip if buy else price - slip).quantize(Decimal("0.0001"))
    if buy and price <= limit_price or not buy and price >= limit_price:
        return triggered, price
    return triggered, None


class SimulatedVenue:
    """Fills paper orders against the market data (the last close, and each close as a price
    load stores it)."""

    name = "simulated"

    def submit(self, order: Order) -> None:
        from ledger.selectors import last_close_for

        close = last_close_for(tenant=None, instrument_id=order.instrument_id)
        if close is not None:
            self.work(order, price=close, volume=None)

    def cancel(self, order: Order) -> None:
        pass

    def replace(self, old: Order, new: Order) -> None:
        self.submit(new)

    def work(self, order: Order, *, price: Decimal, volume: Decimal | None) -> None:
        """Fill `order` (working) as far as `price` and `volume` allow."""
        from .selectors import trading_settings
        from .services.fills import order_fill

        settings = trading_settings()
        triggered, fill_price = fill_terms(
            side=order.side,
            order_type=order.order_type,
            limit_price=order.limit_price,
            stop_price=order.stop_price,
            triggered=order.triggered,
            price=price,
            slippage_bps=settings.paper_slippage_bps,
        )
        if triggered and not order.triggered:
            Order.objects.filter(pk=order.pk, status__in=sorted(WORKING)).update(triggered=True)
            order.triggered = True
        if fill_price is None:
            return
        remaining = order.quantity - order.filled_quantity
        quantity = remaining
        if volume:
            cap = volume * settings.paper_volume_share_pct / 100
            if remaining == remaining.to_integral():
                cap = cap.to_integral_value(rounding=ROUND_DOWN)
            quantity = min(remaining, cap)
        if quantity <= 0:
            return
        order_fill(order=order, quantity=quantity, price=fill_price)

    def prices_arrived(self, ticks) -> int:
        """Work every paper order of the current schema on the instruments of `ticks`; the
        number of orders worked."""
        latest = {}
        for tick in ticks:
            if tick.instrument_id not in latest or tick.on > latest[tick.instrument_id].on:
                latest[tick.instrument_id] = tick
        orders = Order.objects.filter(
            is_paper=True,
            venue=self.name,
            status__in=sorted(WORKING),
            instrument_id__in=list(latest),
        ).order_by("created_at", "id")
        worked = 0
        for order in orders:
            tick = latest[order.instrument_id]
            try:
                self.work(order, price=tick.close, volume=tick.volume)
            except TransitionRefused:
                continue  # cancelled by a sibling's fill in this same pass (the fill re-reads it)
            worked += 1
        return worked


_VENUES: dict[str, ExecutingBroker] = {
    SimulatedVenue.name: SimulatedVenue(),
    HeldVenue.name: HeldVenue(),
}


def venue_register(venue: ExecutingBroker) -> None:
    _VENUES[venue.name] = venue


def venue_by_name(name: str) -> ExecutingBroker:
    return _VENUES.get(name) or _VENUES[HeldVenue.name]


def venue_for(order: Order) -> ExecutingBroker:
    if order.is_paper:
        return _VENUES[SimulatedVenue.name]
    return _VENUES.get("live") or _VENUES[HeldVenue.name]


def paper_prices_arrived(ticks) -> None:
    """The ledger's price-load subscriber: each tenant's paper orders on those instruments
    are worked, each tenant in its own savepoint so one tenant's failure neither stops the
    others nor refuses the market data."""
    from django_tenants.utils import get_public_schema_name, tenant_context

    from tenants.models import Tenant

    if not ticks:
        return
    venue = _VENUES[SimulatedVenue.name]
    instrument_ids = sorted({t.instrument_id for t in ticks})
    for tenant in Tenant.objects.exclude(schema_name=get_public_schema_name()):
        with tenant_context(tenant):
            if not Order.objects.filter(
                is_paper=True, status__in=sorted(WORKING), instrument_id__in=instrument_ids
            ).exists():
                continue
            try:
                with transaction.atomic():
                    venue.prices_arrived(ticks)
            except Exception:  # noqa: BLE001 - a tenant's failure must not refuse the prices
                logger.exception("paper orders of %s not worked", tenant.schema_name)
