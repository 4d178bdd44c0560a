"""What the pre-trade checks read about an intent, read once and shared by every check of the
same intent (`facts(intent)`): the account (the tenant's, else none), the instrument, the login,
the last close, the position, the account's product permissions, the firm's trading settings,
the open orders' reservation and the account's valuation. Each is read on first use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from django.db import connection
from django.db.models import F, Sum
from django.utils import timezone

from ledger.models import Account, Instrument, Position, Price

from .intent import OrderIntent, Side
from .states import OPEN

ZERO = Decimal(0)


@dataclass(frozen=True)
class LastPrice:
    close: Decimal
    on: date


# One round trip for what nearly every check reads: the last close, the position, the
# account's product permissions (or its application's), and the open buy orders' reservation.
_FACTS_SQL = """
SELECT
  (SELECT close FROM ledger_price WHERE instrument_id = %(instrument)s ORDER BY date DESC LIMIT 1),
  (SELECT date FROM ledger_price WHERE instrument_id = %(instrument)s ORDER BY date DESC LIMIT 1),
  (SELECT quantity FROM ledger_position
    WHERE account_id = %(account)s AND instrument_id = %(instrument)s),
  (SELECT row(stocks, options_level, futures, fx, crypto)::text FROM trading_accountproducts
    WHERE account_id = %(account)s),
  (SELECT trading_permissions::text FROM onboarding_application
    WHERE account_id = %(account)s ORDER BY created_at DESC, id DESC LIMIT 1),
  (SELECT SUM((o.quantity - o.filled_quantity) * o.estimated_price * i.multiplier)
     FROM trading_order o JOIN ledger_instrument i ON i.id = o.instrument_id
    WHERE o.account_id = %(account)s AND o.status = ANY(%(open)s) AND o.side = ANY(%(buys)s)
      AND o.parent_id IS NULL AND o.id <> %(replaces)s)
"""


class Facts:
    def __init__(self, intent: OrderIntent):
        self.intent = intent
        self.tenant = getattr(connection, "tenant", None)

    def prefetch(self) -> None:
        """Read the last close, position, products and reservation in one query (each is
        otherwise read on first use)."""
        import json

        from .models import AccountProducts

        intent = self.intent
        with connection.cursor() as cursor:
            cursor.execute(
                _FACTS_SQL,
                {
                    "instrument": intent.instrument_id,
                    "account": intent.account_id,
                    "open": sorted(OPEN),
                    "buys": [Side.BUY, Side.BUY_TO_COVER],
                    "replaces": intent.replaces_order_id or 0,
                },
            )
            close, on, position, products, asked, reserved = cursor.fetchone()
        if "last_price" not in self.__dict__:
            self.last_price = None if close is None else LastPrice(close, on)
        self.position = position or ZERO
        self.reserved_by_open_orders = reserved or ZERO
        if products is not None:
            stocks, level, futures, fx, crypto = products.strip("()").split(",")
            self.products = AccountProducts(
                account_id=intent.account_id,
                stocks=stocks == "t",
                options_level=int(level),
                futures=futures == "t",
                fx=fx == "t",
                crypto=crypto == "t",
            )
        else:
            from .selectors import products_from_application

            self.products = products_from_application(
                account_id=intent.account_id, asked=json.loads(asked) if asked else None
            )

    @cached_property
    def account(self) -> Account | None:
        if self.tenant is None:
            return None
        return (
            Account.objects.filter(pk=self.intent.account_id, tenant_id=self.tenant.pk)
            .select_related("parent")
            .first()
        )

    @cached_property
    def instrument(self) -> Instrument | None:
        return Instrument.objects.filter(pk=self.intent.instrument_id).first()

    @cached_property
    def user(self):
        from django.contrib.auth import get_user_model

        if self.intent.user_id is None:
            return None
        return get_user_model().objects.filter(pk=self.intent.user_id).first()

    @cached_property
    def last_price(self) -> LastPrice | None:
        row = (
            Price.objects.filter(instrument_id=self.intent.instrument_id)
            .order_by("-date")
            .values_list("close", "date")
            .first()
        )
        return None if row is None else LastPrice(row[0], row[1])

    @cached_property
    def position(self) -> Decimal:
        quantity = (
            Position.objects.filter(
                account_id=self.intent.account_id, instrument_id=self.intent.instrument_id
            )
            .values_list("quantity", flat=True)
            .first()
        )
        return quantity or ZERO

    @cached_property
    def settings(self):
        from .selectors import trading_settings

        return trading_settings()

    @cached_property
    def products(self):
        from .selectors import account_products

        return account_products(account_id=self.intent.account_id)

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
        from ledger.selectors.market import usd_rates_as_of

        try:
            return fx_factor(
                usd_rates_as_of(as_of=timezone.localdate()),
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

    @cached_property
    def reserved_by_open_orders(self) -> Decimal:
        """The value of the account's open buy orders not yet filled (the price each was
        checked at), so two orders cannot spend the same cash; the order being replaced is
        left out."""
        from .models import Order

        orders = Order.objects.filter(
            account_id=self.intent.account_id,
            status__in=list(OPEN),
            side__in=[Side.BUY, Side.BUY_TO_COVER],
            parent__isnull=True,
        )
        if self.intent.replaces_order_id:
            orders = orders.exclude(pk=self.intent.replaces_order_id)
        total = orders.aggregate(
            value=Sum(
                (F("quantity") - F("filled_quantity"))
                * F("estimated_price")
                * F("instrument__multiplier")
            )
        )["value"]
        return total or ZERO

    @cached_property
    def valuation(self):
        from ledger.selectors.valuation import valuations_for_accounts

        if self.account is None:
            return None
        return valuations_for_accounts(
            tenant=self.tenant,
            account_ids=[self.account],
            as_of=timezone.localdate(),
            with_positions=False,
        )[self.account.pk]

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


def facts(intent: OrderIntent) -> Facts:
    found = intent.context.get("facts")
    if found is None:
        found = intent.context["facts"] = Facts(intent)
    return found
