"""What the pre-trade checks read about an intent, read once and shared by every check of the
same intent (`facts(intent)`), in two round trips:

- the ledger's part (`ledger.selectors.order_facts_for`): the account (the tenant's, else
  none; locked for update when the order is being placed), the instrument, the last close,
  the position, the login's grants on the account, the FX rates and the valuation inputs;
- the order book's part (`Facts.book`): the firm's trading and margin settings, the account's
  product permissions (or its application's), the open buy orders' reservation, the same order
  placed within the duplicate window, and — only where a check needs them — the open opening
  orders (Reg T margin), the open margin call and day-trade restriction (a restricted account)
  and the client's disclosures (a client's order on a real account).

Each part is read on first use; `intent_for` reads the ledger's before the intent's quantity is
known (a cash amount needs the last close), the book's after."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.db import connection
from django.utils import timezone

from ledger.models import Account, Instrument
from ledger.selectors.orders import (
    LastPrice,
    OrderLedgerFacts,
    order_facts_for,
    statements_rows,
)

from .intent import OrderIntent, Side
from .states import OPEN

__all__ = ["Facts", "LastPrice", "facts"]

ZERO = Decimal(0)
BUYS = [Side.BUY, Side.BUY_TO_COVER]


def _row_model(model, row: tuple | None):
    if row is None:
        return None
    names = [f.attname for f in model._meta.concrete_fields]
    return model.from_db(connection.alias, names, row)


@functools.cache
def _select_all(model, where: str = "ORDER BY id LIMIT 1") -> str:
    columns = ", ".join(connection.ops.quote_name(f.column) for f in model._meta.concrete_fields)
    return f"SELECT {columns} FROM {model._meta.db_table} {where}"  # noqa: S608


@dataclass
class BookFacts:
    """The order book's part of an intent's facts (`Facts.book`)."""

    settings: object
    margin_settings: object | None
    products: object
    reserved_by_open_orders: Decimal
    duplicate: tuple[int, object] | None  # (order id, created at)
    open_exposures: list | None  # margin.Exposure of the open opening orders (Reg T only)
    margin_call: object | None
    day_trade_restriction: object | None
    disclosures_pending: list | None  # None: not read (staff, paper account)


class Facts:
    def __init__(self, intent: OrderIntent):
        self.intent = intent
        self.tenant = getattr(connection, "tenant", None)
        self.lock = False

    # --- the ledger's part -------------------------------------------------------------

    @cached_property
    def ledger(self) -> OrderLedgerFacts:
        intent = self.intent
        return order_facts_for(
            tenant=self.tenant,
            account_id=intent.account_id,
            instrument_id=intent.instrument_id,
            user_id=intent.user_id,
            lock=self.lock,
            also=self._book_plan or (),
        )

    @cached_property
    def account(self) -> Account | None:
        return None if self.tenant is None else self.ledger.account

    @cached_property
    def instrument(self) -> Instrument | None:
        return self.ledger.instrument

    @cached_property
    def last_price(self) -> LastPrice | None:
        return self.ledger.last_price

    @cached_property
    def position(self) -> Decimal:
        return self.ledger.position

    @cached_property
    def granted(self) -> frozenset[str]:
        return self.ledger.granted

    @cached_property
    def valuation(self):
        if self.account is None:
            return None
        return self.ledger.valuation

    @cached_property
    def user(self):
        from django.contrib.auth import get_user_model

        if self.intent.user_id is None:
            return None
        return get_user_model().objects.filter(pk=self.intent.user_id).first()

    @cached_property
    def multiplier(self) -> Decimal:
        return self.instrument.multiplier if self.instrument else Decimal(1)

    @cached_property
    def value(self) -> Decimal:
        """The order's value in the instrument's currency (quantity × price × multiplier)."""
        return self.intent.quantity * self.intent.estimated_price * self.multiplier

    @cached_property
    def fx_to_base(self) -> Decimal | None:
        """Base-currency units per unit of the instrument's currency; None without a rate."""
        if self.account is None or self.instrument is None:
            return None
        if self.instrument.currency == self.account.base_currency:
            return Decimal(1)
        from ledger.domain.fx import fx_factor

        try:
            return fx_factor(
                self.ledger.rates,
                currency=self.instrument.currency,
                base=self.account.base_currency,
            )
        except LookupError:
            return None

    @cached_property
    def commission(self) -> Decimal:
        from .commission import commission_for

        if self.instrument is None:
            return ZERO
        return commission_for(
            self.settings,
            asset_class=self.instrument.asset_class,
            quantity=self.intent.quantity,
            value=self.value,
        )

    @property
    def closing(self) -> bool:
        """Whether the order only reduces the position: a sell of a long, a buy of a short, up
        to the position's size."""
        side, quantity = self.intent.side, self.intent.quantity
        if side == Side.SELL:
            return self.position >= quantity
        if side == Side.BUY_TO_COVER:
            return self.position <= -quantity
        return False

    # --- the order book's part ---------------------------------------------------------

    def book_prefetch(self) -> None:
        """Read the order book's part with the ledger's, in its round trip (before the
        ledger's part is read): for an intent whose quantity and prices are already those of
        the order."""
        if "ledger" not in self.__dict__:
            self._book_plan = self._book_statements()

    _book_plan: list | None = None

    @cached_property
    def book(self) -> BookFacts:
        """The trading tables' facts of the intent: read with the ledger's part when
        `book_prefetch` asked for it, else in one round trip of their own."""
        plan = self._book_plan
        if plan is not None and "ledger" in self.__dict__ and self.ledger.also:
            return self._book_from(self.ledger.also)
        return self._book_from(statements_rows(self._book_statements()))

    def _book_statements(self) -> list[tuple[str, list | dict]]:
        from compliance.disclosures import disclosure_statements
        from onboarding.models import Application
        from onboarding.selectors import client_country_statement

        from .margin_models import DayTradeRestriction, MarginCall, MarginSettings
        from .models import AccountProducts, Order, TradingSettings

        intent = self.intent
        orders = Order._meta.db_table
        window = TradingSettings._meta.get_field("duplicate_window_seconds").default
        replaces = intent.replaces_order_id or 0
        statements: list[tuple[str, list | dict]] = [
            (_select_all(TradingSettings), []),
            (_select_all(MarginSettings), []),
            (
                "SELECT stocks, options_level, futures, fx, crypto FROM "  # noqa: S608
                f"{AccountProducts._meta.db_table} WHERE account_id = %s",
                [intent.account_id],
            ),
            (
                f"SELECT trading_permissions FROM {Application._meta.db_table} "  # noqa: S608
                "WHERE account_id = %s ORDER BY created_at DESC, id DESC LIMIT 1",
                [intent.account_id],
            ),
            (
                "SELECT SUM((o.quantity - o.filled_quantity) * o.estimated_price * i.multiplier) "  # noqa: S608
                f"FROM {orders} o JOIN ledger_instrument i ON i.id = o.instrument_id "
                "WHERE o.account_id = %(account)s AND o.status = ANY(%(open)s) "
                "AND o.side = ANY(%(buys)s) AND o.parent_id IS NULL AND o.id <> %(replaces)s",
                {
                    "account": intent.account_id,
                    "open": sorted(OPEN),
                    "buys": BUYS,
                    "replaces": replaces,
                },
            ),
            (
                # the same order within the firm's window (its default when never saved)
                f"SELECT id, created_at FROM {orders} "  # noqa: S608
                "WHERE account_id = %(account)s AND instrument_id = %(instrument)s "
                "AND side = %(side)s AND quantity = %(quantity)s "
                "AND order_type = %(type)s AND limit_price IS NOT DISTINCT FROM %(limit)s "
                "AND stop_price IS NOT DISTINCT FROM %(stop)s "
                "AND created_at >= %(now)s - make_interval(secs => COALESCE("
                f"(SELECT duplicate_window_seconds FROM {TradingSettings._meta.db_table} "
                "ORDER BY id LIMIT 1), %(window)s)) "
                "AND status = ANY(%(statuses)s) AND id <> %(replaces)s "
                "ORDER BY created_at DESC LIMIT 1",
                {
                    "account": intent.account_id,
                    "instrument": intent.instrument_id,
                    "side": intent.side,
                    "quantity": intent.quantity,
                    "type": intent.order_type,
                    "limit": intent.context.get("limit_price"),
                    "stop": intent.context.get("stop_price"),
                    "now": timezone.now(),
                    "window": window,
                    "statuses": [*sorted(OPEN), "filled"],
                    "replaces": replaces,
                },
            ),
            (
                # the open opening orders, for a Reg T account's intraday margin
                "SELECT o.side, o.quantity, o.filled_quantity, o.estimated_price, "  # noqa: S608
                "o.limit_price, o.stop_price, i.asset_class, i.currency, i.multiplier "
                f"FROM {orders} o JOIN ledger_instrument i ON i.id = o.instrument_id "
                "WHERE o.account_id = %(account)s AND o.status = ANY(%(open)s) "
                "AND o.side = ANY(%(opening)s) AND o.id <> %(replaces)s AND EXISTS ("
                "SELECT 1 FROM ledger_account a WHERE a.id = %(account)s "
                "AND a.margin_type = %(reg_t)s)",
                {
                    "account": intent.account_id,
                    "open": sorted(OPEN),
                    "opening": sorted(Side.OPENING),
                    "replaces": replaces,
                    "reg_t": Account.MarginType.REG_T,
                },
            ),
            (
                _select_all(
                    MarginCall, "WHERE account_id = %s AND status = %s ORDER BY id LIMIT 1"
                ),
                [intent.account_id, MarginCall.Status.OPEN],
            ),
            (
                _select_all(
                    DayTradeRestriction,
                    "WHERE account_id = %s AND lifted_at IS NULL ORDER BY id LIMIT 1",
                ),
                [intent.account_id],
            ),
        ]
        user = self.user
        if user is not None and not user.is_staff:
            statements.append(client_country_statement(user_id=user.pk))
            statements += disclosure_statements(user_id=user.pk)
        return statements

    def _book_from(self, results: list[list[tuple]]) -> BookFacts:
        from compliance.disclosures import disclosures_pending_from

        from .margin import exposures_from
        from .margin_models import DayTradeRestriction, MarginCall, MarginSettings
        from .models import TradingSettings

        account = self.account
        (
            settings_row,
            margin_row,
            products_row,
            asked_row,
            reserved_row,
            duplicate_row,
            exposure_rows,
            call_row,
            restriction_row,
        ) = results[:9]
        exposures = pending = None
        if account is not None and account.margin_type == Account.MarginType.REG_T:
            exposures = exposures_from(
                exposure_rows, account=account, rates=lambda: self.ledger.rates
            )
        restricted = account is not None and account.status == Account.Status.RESTRICTED
        user = self.user
        if user is not None and not user.is_staff and not (account and account.is_paper):
            country_row, accepted_rows, page_rows = results[9:12]
            pending = disclosures_pending_from(
                [accepted_rows, page_rows],
                country=country_row[0][0] if country_row else "",
                today=timezone.localdate(),
            )
        settings = _row_model(TradingSettings, settings_row[0] if settings_row else None)
        margin = _row_model(MarginSettings, margin_row[0] if margin_row else None)
        return BookFacts(
            settings=settings or TradingSettings.load(),
            margin_settings=margin,
            products=_products(self.intent.account_id, products_row, asked_row),
            reserved_by_open_orders=(reserved_row[0][0] if reserved_row else None) or ZERO,
            duplicate=duplicate_row[0] if duplicate_row else None,
            open_exposures=exposures,
            margin_call=(
                _row_model(MarginCall, call_row[0] if call_row else None) if restricted else None
            ),
            day_trade_restriction=(
                _row_model(DayTradeRestriction, restriction_row[0] if restriction_row else None)
                if restricted
                else None
            ),
            disclosures_pending=pending,
        )

    @cached_property
    def settings(self):
        return self.book.settings

    @cached_property
    def margin_settings(self):
        from .margin_models import MarginSettings

        return self.book.margin_settings or MarginSettings.load()

    @cached_property
    def products(self):
        return self.book.products

    @cached_property
    def reserved_by_open_orders(self) -> Decimal:
        """The value of the account's open buy orders not yet filled (the price each was
        checked at), so two orders cannot spend the same cash; the order being replaced is
        left out."""
        return self.book.reserved_by_open_orders


def _products(account_id: int, products_row, asked_row):
    """The account's product permissions as staff set them, else as its application asked."""
    from .models import AccountProducts
    from .selectors import products_from_application

    if products_row:
        stocks, level, futures, fx, crypto = products_row[0]
        return AccountProducts(
            account_id=account_id,
            stocks=stocks,
            options_level=level,
            futures=futures,
            fx=fx,
            crypto=crypto,
        )
    asked = asked_row[0][0] if asked_row else None
    return products_from_application(account_id=account_id, asked=asked)


def facts(intent: OrderIntent) -> Facts:
    found = intent.context.get("facts")
    if found is None:
        found = intent.context["facts"] = Facts(intent)
    return found
