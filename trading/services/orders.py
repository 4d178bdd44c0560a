"""Orders' life: submission after the pre-trade checks, transitions (each recorded as an
`OrderEvent`), cancel, cancel/replace, brackets (one-cancels-other) and expiry of DAY orders.

Every status change goes through `order_transition`, which asks `trading.states` and updates
the row only if it is still in the status it was read in (a concurrent change refuses instead
of being overwritten)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from ledger.models import Instrument

from ..facts import facts
from ..intent import CheckResult, OrderIntent, Side
from ..models import Order, OrderEvent
from ..states import OPEN, WORKING, Status, TransitionRefused, transition_check

FRACTIONAL = frozenset({"STK", "ETF"})
UNITS = Decimal("0.0001")


class ConfirmationRequired(Exception):
    """The order has warnings the person has not confirmed; nothing was stored."""

    def __init__(self, warnings: list[CheckResult]):
        super().__init__("; ".join(w.reason for w in warnings))
        self.warnings = warnings


@dataclass(frozen=True)
class Ticket:
    """An order as the ticket, the API or a group order gives it, before any check."""

    account_id: int
    instrument_id: int
    side: str
    quantity: Decimal | None = None
    order_type: str = Order.Type.MARKET
    time_in_force: str = Order.TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    # Instead of a quantity, an amount of cash (fractional-eligible instruments, buys only).
    cash_amount: Decimal | None = None
    # A bracket: the take-profit limit and stop-loss stop that close the position once filled.
    take_profit_price: Decimal | None = None
    stop_loss_price: Decimal | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_fields(cls, data, *, account_id: int, instrument_id: int) -> Ticket:
        """The ticket of a form's or a serializer's cleaned fields, named as the ticket's."""
        return cls(
            account_id=account_id,
            instrument_id=instrument_id,
            side=data["side"],
            quantity=data.get("quantity"),
            cash_amount=data.get("cash_amount"),
            order_type=data["order_type"],
            time_in_force=data["time_in_force"],
            limit_price=data.get("limit_price"),
            stop_price=data.get("stop_price"),
            take_profit_price=data.get("take_profit_price"),
            stop_loss_price=data.get("stop_loss_price"),
        )

    @property
    def is_bracket(self) -> bool:
        return self.take_profit_price is not None or self.stop_loss_price is not None


def ticket_validate(ticket: Ticket, *, instrument: Instrument, last_close: Decimal | None):
    """Refuse a ticket that does not make an order (ValidationError, per field)."""
    errors: dict[str, str] = {}
    if ticket.side not in dict(Side.CHOICES):
        errors["side"] = "Choose buy, sell, sell short or buy to cover."
    if ticket.order_type not in Order.Type.values:
        errors["order_type"] = "Choose market, limit, stop or stop limit."
    if ticket.time_in_force not in Order.TimeInForce.values:
        errors["time_in_force"] = "Choose DAY or GTC."
    if ticket.order_type in ("limit", "stop_limit") and not (
        ticket.limit_price and ticket.limit_price > 0
    ):
        errors["limit_price"] = "A limit order needs a positive limit price."
    if ticket.order_type in ("stop", "stop_limit") and not (
        ticket.stop_price and ticket.stop_price > 0
    ):
        errors["stop_price"] = "A stop order needs a positive stop price."
    if ticket.cash_amount is not None:
        if instrument.asset_class not in FRACTIONAL or ticket.side != Side.BUY:
            errors["cash_amount"] = "A cash amount is for buying stocks and ETFs only."
        elif ticket.cash_amount <= 0:
            errors["cash_amount"] = "The amount must be positive."
        elif ticket.quantity:
            errors["cash_amount"] = "Give a quantity or a cash amount, not both."
    elif ticket.quantity is None or ticket.quantity <= 0:
        errors["quantity"] = "The quantity must be positive."
    elif (
        instrument.asset_class not in FRACTIONAL
        and ticket.quantity != ticket.quantity.to_integral()
    ):
        errors["quantity"] = f"{instrument.symbol} trades in whole units."
    if ticket.is_bracket:
        if ticket.side not in (Side.BUY, Side.SELL_SHORT):
            errors["take_profit_price"] = "A bracket opens a position: buy or sell short."
        elif ticket.take_profit_price is None or ticket.stop_loss_price is None:
            errors["take_profit_price"] = "A bracket needs both a take-profit and a stop-loss."
        else:
            entry = ticket.limit_price or ticket.stop_price or last_close
            up = ticket.side == Side.BUY
            if entry is not None and (
                (up and not ticket.stop_loss_price < entry < ticket.take_profit_price)
                or (not up and not ticket.take_profit_price < entry < ticket.stop_loss_price)
            ):
                errors["take_profit_price"] = (
                    "The take-profit must be on the winning side of the entry price "
                    f"({entry}) and the stop-loss on the losing side."
                )
    if errors:
        raise ValidationError(errors)


def _estimated_price(ticket: Ticket, last_close: Decimal | None) -> Decimal | None:
    return ticket.limit_price or ticket.stop_price or last_close


def intent_for(
    *, ticket: Ticket, user, replaces: Order | None = None, lock: bool = False
) -> OrderIntent:
    """The intent the checks judge, with its facts (`trading.facts`): the ledger's read first
    (one round trip; the account row locked for update when `lock`), as the instrument and the
    last close decide a cash amount's quantity. Refuses a malformed ticket."""
    # Given in units, the order's quantity and prices are known before anything is read, and
    # the order book's facts are read in the ledger's round trip.
    known = ticket.cash_amount is None and ticket.quantity is not None and ticket.quantity > 0
    probe = OrderIntent(
        account_id=ticket.account_id,
        instrument_id=ticket.instrument_id,
        side=ticket.side,
        quantity=ticket.quantity if known else Decimal(1),
        estimated_price=Decimal(1),
        order_type=ticket.order_type,
        time_in_force=ticket.time_in_force,
        user_id=getattr(user, "pk", None),
        replaces_order_id=replaces.pk if replaces else None,
    )
    probe.context["limit_price"] = ticket.limit_price
    probe.context["stop_price"] = ticket.stop_price
    shared = facts(probe)
    shared.lock = lock
    if user is not None and getattr(user, "pk", None) is not None:
        shared.user = user
    if known:
        shared.book_prefetch()
    instrument = shared.instrument
    if instrument is None:
        raise ValidationError({"instrument": "No such instrument."})
    last = shared.last_price
    ticket_validate(ticket, instrument=instrument, last_close=last.close if last else None)
    price = _estimated_price(ticket, last.close if last else None)
    quantity = ticket.quantity
    if ticket.cash_amount is not None:
        if not price:
            raise ValidationError({"cash_amount": f"There is no price for {instrument.symbol}."})
        quantity = (ticket.cash_amount / price).quantize(UNITS, rounding=ROUND_DOWN)
        if quantity <= 0:
            raise ValidationError({"cash_amount": "The amount buys less than 0.0001 units."})
    intent = OrderIntent(
        account_id=ticket.account_id,
        instrument_id=ticket.instrument_id,
        side=ticket.side,
        quantity=quantity,
        estimated_price=price or Decimal(0),
        order_type=ticket.order_type,
        time_in_force=ticket.time_in_force,
        user_id=getattr(user, "pk", None),
        replaces_order_id=replaces.pk if replaces else None,
    )
    # the facts read hold for the intent (same account, instrument, login, replaced order and,
    # when prefetched, quantity and prices)
    shared.intent = intent
    intent.context["facts"] = shared
    intent.context["limit_price"] = ticket.limit_price
    intent.context["stop_price"] = ticket.stop_price
    return intent


def _result_dict(result: CheckResult) -> dict:
    return {
        "code": result.code,
        "severity": result.severity,
        "reason": result.reason,
        "figures": {k: str(v) for k, v in result.figures.items()},
    }


def _event(order: Order, *, from_status: str, to_status: str, at: datetime, actor, note: str):
    return OrderEvent(
        order=order,
        from_status=from_status,
        to_status=to_status,
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note[:500],
        filled_quantity=order.filled_quantity,
    )


def order_transition(
    *, order: Order, to_status: str, actor=None, note: str = "", **changes
) -> Order:
    """Move `order` to `to_status` (with any other field `changes`), recording the event.
    Refused (TransitionRefused) when the state machine does not allow it or the order changed
    since it was read."""
    transition_check(order.status, to_status)
    now = timezone.now()
    updated = Order.objects.filter(pk=order.pk, status=order.status).update(
        status=to_status, updated_at=now, **changes
    )
    if not updated:
        raise TransitionRefused("The order changed in the meantime; look at it again.")
    from_status = order.status
    order.status = to_status
    order.updated_at = now
    for name, value in changes.items():
        setattr(order, name, value)
    OrderEvent.objects.bulk_create(
        [
            _event(
                order, from_status=from_status, to_status=to_status, at=now, actor=actor, note=note
            )
        ]
    )
    return order


@functools.cache
def _insert_shape(model, exclude: str | None = None) -> tuple[list, str, str]:
    """(fields, quoted columns, one row of typed placeholders) of `model`'s insert."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.name != exclude]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    row = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
    return fields, columns, row


def _insert_values(instance, fields) -> list:
    return [f.get_db_prep_save(f.pre_save(instance, add=True), connection) for f in fields]


def _order_insert(order: Order, events: list[OrderEvent]) -> None:
    """Store a new `order` and its `events` in one statement (one round trip); the order gets
    its id, the events' ids are not read back."""
    order_fields, order_columns, order_row = _insert_shape(Order)
    event_fields, event_columns, event_row = _insert_shape(OrderEvent, "order")
    params = _insert_values(order, order_fields)
    for event in events:
        params += _insert_values(event, event_fields)
    rows = ", ".join([event_row] * len(events))
    sql = (
        f"WITH o AS (INSERT INTO {Order._meta.db_table} ({order_columns}) VALUES {order_row} "  # noqa: S608
        f"RETURNING id) INSERT INTO {OrderEvent._meta.db_table} (order_id, {event_columns}) "
        f"SELECT o.id, v.* FROM o CROSS JOIN (VALUES {rows}) v RETURNING order_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        order.pk = cursor.fetchone()[0]
    order._state.adding = False
    order._state.db = connection.alias
    for event in events:
        event.order = order


def _children_specs(ticket: Ticket, quantity: Decimal) -> list[dict]:
    closing = Side.SELL if ticket.side == Side.BUY else Side.BUY_TO_COVER
    return [
        {
            "bracket_role": Order.BracketRole.TAKE_PROFIT,
            "side": closing,
            "order_type": Order.Type.LIMIT,
            "limit_price": ticket.take_profit_price,
            "quantity": quantity,
        },
        {
            "bracket_role": Order.BracketRole.STOP_LOSS,
            "side": closing,
            "order_type": Order.Type.STOP,
            "stop_price": ticket.stop_loss_price,
            "quantity": quantity,
        },
    ]


def _session_date(intent: OrderIntent):
    market = intent.context.get("market")
    if market is not None and market.session is not None:
        return market.session
    return timezone.localdate()


@transaction.atomic
def order_submit(
    *,
    user,
    tenant,
    ticket: Ticket,
    confirmed: Iterable[str] = (),
    replaces: Order | None = None,
) -> Order:
    """Check and place an order, keeping the what-if preview's figures with it. A blocking
    check stores the order `rejected` with every check's reason (nothing goes to a venue);
    unconfirmed warnings refuse with
    ConfirmationRequired and store nothing; otherwise the order is stored with the checks and
    the confirmations, accepted and handed to its venue (the simulated venue for paper
    accounts, which may fill it at once). The account row is locked first, so two orders
    cannot both pass the buying-power check on the same cash."""
    from ..venues import venue_for
    from .preview import order_preview

    # The account row is locked before the checks read its cash and open orders.
    shown = order_preview(user=user, tenant=tenant, ticket=ticket, replaces=replaces, lock=True)
    return _order_store(
        user=user,
        ticket=ticket,
        intent=shown.intent,
        results=shown.results,
        confirmed=set(confirmed),
        replaces=replaces,
        preview=shown.as_record(),
        venue_for=venue_for,
    )


def _order_store(*, user, ticket, intent, results, confirmed, replaces, preview, venue_for):
    now = timezone.now()
    blocks = [r for r in results if r.blocks]
    warnings = [r for r in results if r.severity == CheckResult.WARN]
    unconfirmed = [w for w in warnings if w.code not in confirmed]
    if not blocks and unconfirmed:
        raise ConfirmationRequired(unconfirmed)
    account = facts(intent).account
    order = Order(
        account_id=intent.account_id,
        instrument_id=intent.instrument_id,
        side=intent.side,
        order_type=intent.order_type,
        time_in_force=intent.time_in_force,
        quantity=intent.quantity,
        cash_amount=ticket.cash_amount,
        limit_price=ticket.limit_price,
        stop_price=ticket.stop_price,
        estimated_price=intent.estimated_price,
        status=Status.NEW,
        is_paper=bool(account and account.is_paper),
        session_date=_session_date(intent),
        checks=[_result_dict(r) for r in results],
        confirmations=[
            {"code": w.code, "reason": w.reason, "confirmed_at": now.isoformat()} for w in warnings
        ]
        if not blocks
        else [],
        preview=preview or {},
        replaces=replaces,
        created_by=user if getattr(user, "pk", None) else None,
        created_at=now,
        updated_at=now,
    )
    if blocks:
        order.status = Status.REJECTED
        order.reason = blocks[0].reason[:500]
        _order_insert(
            order,
            [
                _event(order, from_status="", to_status=Status.NEW, at=now, actor=user, note=""),
                _event(
                    order,
                    from_status=Status.NEW,
                    to_status=Status.REJECTED,
                    at=now,
                    actor=user,
                    note=" ".join(b.reason for b in blocks),
                ),
            ],
        )
        return order
    venue = venue_for(order)
    order.venue = venue.name
    order.status = Status.ACCEPTED
    _order_insert(
        order,
        [
            _event(order, from_status="", to_status=Status.NEW, at=now, actor=user, note=""),
            _event(
                order,
                from_status=Status.NEW,
                to_status=Status.ACCEPTED,
                at=now,
                actor=user,
                note=f"Accepted for {venue.name}.",
            ),
        ],
    )
    events = []
    children = []
    if ticket.is_bracket:
        for spec in _children_specs(ticket, order.quantity):
            children.append(
                Order(
                    account_id=order.account_id,
                    instrument_id=order.instrument_id,
                    time_in_force=Order.TimeInForce.GTC,
                    estimated_price=spec.get("limit_price") or spec.get("stop_price"),
                    status=Status.NEW,
                    is_paper=order.is_paper,
                    parent=order,
                    venue=venue.name,
                    created_by=order.created_by,
                    created_at=now,
                    updated_at=now,
                    **spec,
                )
            )
        Order.objects.bulk_create(children)
        for child in children:
            events.append(
                _event(
                    child,
                    from_status="",
                    to_status=Status.NEW,
                    at=now,
                    actor=user,
                    note="Waits for its parent to fill.",
                )
            )
    if events:
        OrderEvent.objects.bulk_create(events)
    if replaces is not None:
        order_transition(
            order=replaces, to_status=Status.REPLACED, actor=user, note=f"Replaced by #{order.pk}."
        )
        for child in replaces.children.filter(status__in=sorted(OPEN)):
            order_transition(
                order=child, to_status=Status.CANCELLED, actor=user, note="Parent replaced."
            )
        venue.replace(replaces, order)
    else:
        venue.submit(order)
    return order


@transaction.atomic
def order_cancel(*, order: Order, actor=None, note: str = "Cancelled by the client.") -> Order:
    """Cancel an open order, and a bracket's children with it. Refused once final."""
    from ..venues import venue_by_name

    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status not in OPEN:
        raise TransitionRefused(
            f"The order is {Status(locked.status).label.lower()}; it can no longer be cancelled."
        )
    venue = venue_by_name(locked.venue)
    if locked.status in WORKING:
        venue.cancel(locked)
    order_transition(order=locked, to_status=Status.CANCELLED, actor=actor, note=note)
    for child in locked.children.filter(status__in=sorted(OPEN)):
        order_transition(
            order=child, to_status=Status.CANCELLED, actor=actor, note="Parent cancelled."
        )
    return locked


@transaction.atomic
def order_replace(
    *,
    order: Order,
    user,
    tenant,
    quantity: Decimal | None = None,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    confirmed: Iterable[str] = (),
) -> Order:
    """Cancel/replace a working order: a new order for what is to be filled from now on with the
    new terms, checked as any order (the old one's reservation left out), and the old one ends
    `replaced` keeping its fills."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status not in WORKING or locked.parent_id is not None:
        raise TransitionRefused(
            f"The order is {Status(locked.status).label.lower()}; it cannot be modified."
        )
    remaining = locked.quantity - locked.filled_quantity
    ticket = Ticket(
        account_id=locked.account_id,
        instrument_id=locked.instrument_id,
        side=locked.side,
        quantity=remaining if quantity is None else Decimal(quantity),
        order_type=locked.order_type,
        time_in_force=locked.time_in_force,
        limit_price=limit_price if limit_price is not None else locked.limit_price,
        stop_price=stop_price if stop_price is not None else locked.stop_price,
    )
    new = order_submit(
        user=user, tenant=tenant, ticket=ticket, confirmed=confirmed, replaces=locked
    )
    if new.status == Status.REJECTED:
        # the old order keeps working; the refusal is on the new one
        Order.objects.filter(pk=new.pk).update(replaces=None)
        new.replaces = None
    return new


def order_children_release(*, parent: Order, actor=None) -> None:
    """A bracket's parent has filled: its children start working at the venue."""
    from ..venues import venue_by_name

    venue = venue_by_name(parent.venue)
    for child in parent.children.filter(status=Status.NEW).order_by("id"):
        order_transition(order=child, to_status=Status.ACCEPTED, actor=actor, note="Parent filled.")
        venue.submit(child)


def order_sibling_cancel(*, child: Order, actor=None) -> None:
    """One child of a bracket filled: the other is cancelled (one-cancels-other)."""
    for sibling in (
        Order.objects.select_for_update()
        .filter(parent_id=child.parent_id, status__in=sorted(OPEN))
        .exclude(pk=child.pk)
    ):
        order_transition(
            order=sibling,
            to_status=Status.CANCELLED,
            actor=actor,
            note=f"One-cancels-other: #{child.pk} filled.",
        )


@transaction.atomic
def orders_expire(*, now: datetime | None = None) -> int:
    """DAY orders of sessions before today end `expired` (what they filled stays)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    count = 0
    for order in Order.objects.select_for_update().filter(
        time_in_force=Order.TimeInForce.DAY, status__in=sorted(WORKING), session_date__lt=today
    ):
        order_transition(
            order=order, to_status=Status.EXPIRED, note=f"DAY order of {order.session_date}."
        )
        count += 1
    return count
