"""Trading's tenant-schema models: orders, their transitions and fills, the account's product
permissions and the firm's trading settings (fat-finger limits, commission schedule, paper
trading). Orders point at the shared ledger's accounts and instruments; a fill's booking is a
journal entry in the ledger, named by a plain reference (the ledger never points back)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from .intent import Side
from .states import FINAL, OPEN, Status

AMOUNT = {"max_digits": 28, "decimal_places": 8}
PRICE = {"max_digits": 28, "decimal_places": 10}


@register_setting(icon="cogs")
class TradingSettings(BaseGenericSetting):
    """The firm's trading policy: fat-finger limits (an order above the value, or priced further
    than the percentage from the last close, is blocked), the duplicate-order window, the
    commission schedule of its what-if preview and paper fills (per share with a minimum and a
    cap, after IBKR's fixed pricing), and the paper venue's behaviour."""

    max_order_value = models.DecimalField(
        **AMOUNT,
        default=Decimal("1000000"),
        help_text="Largest order value (in the account's base currency) a client may submit.",
    )
    max_price_deviation_pct = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("10"),
        help_text="Largest distance of a limit or stop price from the last close, in percent.",
    )
    duplicate_window_seconds = models.PositiveIntegerField(
        default=120, help_text="The same order again within this many seconds is warned."
    )
    commission_per_share = models.DecimalField(**AMOUNT, default=Decimal("0.005"))
    commission_minimum = models.DecimalField(**AMOUNT, default=Decimal("1.00"))
    commission_max_pct = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        default=Decimal("1.000"),
        help_text="Commission cap in percent of the trade value.",
    )
    commission_per_contract = models.DecimalField(**AMOUNT, default=Decimal("0.65"))
    paper_starting_cash = models.DecimalField(**AMOUNT, default=Decimal("1000000"))
    paper_slippage_bps = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("5"),
        help_text="Market orders on the paper venue fill this many basis points worse.",
    )
    paper_volume_share_pct = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("10"),
        help_text="A paper order fills at most this share of the day's volume (where known).",
    )

    class Meta:
        verbose_name = "Trading settings"


class AccountProducts(models.Model):
    """What an account may trade: set at onboarding (the application's trading permissions) and
    changed by staff. Options levels follow the usual four tiers (1: covered calls and
    protective puts; 2: long options; 3: spreads; 4: uncovered writing; Cboe's options
    disclosure, FINRA Rule 2360(b)(16))."""

    account = models.OneToOneField(
        "ledger.Account", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    stocks = models.BooleanField(default=True)
    options_level = models.PositiveSmallIntegerField(default=0)
    futures = models.BooleanField(default=False)
    fx = models.BooleanField(default=False)
    crypto = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "account products"
        constraints = [
            models.CheckConstraint(
                condition=Q(options_level__lte=4), name="account_products_options_level"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} products"


class Order(models.Model):
    """An order as submitted: its terms, where it is in its life (`trading.states`), what the
    checks said and what the person confirmed. A bracket is a parent with two children
    (`bracket_role` take-profit and stop-loss), which work only once the parent has filled and
    cancel each other (one-cancels-other). A cancel/replace ends the old order `replaced` and
    the new one names it in `replaces`."""

    class Type(models.TextChoices):
        MARKET = "market", "Market"
        LIMIT = "limit", "Limit"
        STOP = "stop", "Stop"
        STOP_LIMIT = "stop_limit", "Stop limit"

    class TimeInForce(models.TextChoices):
        DAY = "day", "Day"
        GTC = "gtc", "Good till cancelled"

    class BracketRole(models.TextChoices):
        NONE = "", "—"
        TAKE_PROFIT = "take_profit", "Take profit"
        STOP_LOSS = "stop_loss", "Stop loss"

    Status = Status

    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey("ledger.Instrument", on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=12, choices=Side.CHOICES)
    order_type = models.CharField(max_length=10, choices=Type.choices, default=Type.MARKET)
    time_in_force = models.CharField(
        max_length=3, choices=TimeInForce.choices, default=TimeInForce.DAY
    )
    quantity = models.DecimalField(**AMOUNT)
    # A cash amount the person asked for (fractional-eligible instruments); `quantity` is what
    # it came to at the estimated price.
    cash_amount = models.DecimalField(**AMOUNT, null=True, blank=True)
    limit_price = models.DecimalField(**PRICE, null=True, blank=True)
    stop_price = models.DecimalField(**PRICE, null=True, blank=True)
    # The price the checks valued the order at (limit, else stop, else last close).
    estimated_price = models.DecimalField(**PRICE, null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    # A stop (stop-limit) order whose stop price was reached: it works as a market (limit) order.
    triggered = models.BooleanField(default=False)
    filled_quantity = models.DecimalField(**AMOUNT, default=Decimal(0))
    avg_fill_price = models.DecimalField(**PRICE, null=True, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    bracket_role = models.CharField(
        max_length=12, choices=BracketRole.choices, blank=True, default=""
    )
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    # An advisor's order on a master for an allocation group: its fills become the group's block.
    allocation_group = models.ForeignKey(
        "allocations.AllocationGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_paper = models.BooleanField(default=False)
    venue = models.CharField(max_length=16, blank=True)
    venue_order_id = models.CharField(max_length=64, blank=True)
    # The trading day a DAY order lives for (it expires at that day's close).
    session_date = models.DateField(null=True, blank=True)
    # What the pre-trade checks said: [{"code", "severity", "reason", "figures"}].
    checks = models.JSONField(default=list, blank=True)
    # The warnings the person confirmed: [{"code", "reason", "confirmed_at"}].
    confirmations = models.JSONField(default=list, blank=True)
    # The what-if preview shown before submission (commission, cost, buying power change).
    preview = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "status"], name="order_account_status"),
            models.Index(
                fields=["account", "instrument", "created_at"], name="order_account_instrument"
            ),
            models.Index(
                fields=["instrument"],
                condition=Q(status__in=sorted(OPEN)),
                name="order_open_by_instrument",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_quantity_positive"),
            models.CheckConstraint(
                condition=Q(filled_quantity__gte=0) & Q(filled_quantity__lte=F("quantity")),
                name="order_filled_within_quantity",
            ),
            models.CheckConstraint(
                condition=~Q(order_type__in=["limit", "stop_limit"]) | Q(limit_price__gt=0),
                name="order_limit_has_price",
            ),
            models.CheckConstraint(
                condition=~Q(order_type__in=["stop", "stop_limit"]) | Q(stop_price__gt=0),
                name="order_stop_has_price",
            ),
            models.CheckConstraint(
                condition=~Q(status="filled") | Q(filled_quantity=F("quantity")),
                name="order_filled_in_full",
            ),
            models.UniqueConstraint(
                fields=["parent", "bracket_role"],
                condition=Q(parent__isnull=False),
                name="order_bracket_role_once",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.side} {self.quantity} {self.instrument_id} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled_quantity


class OrderEvent(models.Model):
    """One transition of an order (or a fill within a state), never updated: who or what moved
    it from which status to which, when and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    filled_quantity = models.DecimalField(**AMOUNT, default=Decimal(0))

    class Meta:
        ordering = ["order_id", "id"]

    def __str__(self) -> str:
        return f"#{self.order_id} {self.from_status or '·'} → {self.to_status}"


class Fill(models.Model):
    """An execution of an order at a venue, booked into the ledger as one trade entry
    (`journal_entry_id`, a plain reference to the public schema)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="fills")
    execution_id = models.CharField(max_length=64, unique=True)
    quantity = models.DecimalField(**AMOUNT)
    price = models.DecimalField(**PRICE)
    commission = models.DecimalField(**AMOUNT, default=Decimal(0))
    executed_at = models.DateTimeField()
    venue = models.CharField(max_length=16)
    journal_entry_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["order_id", "executed_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="fill_quantity_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="fill_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.execution_id} {self.quantity} @ {self.price}"


from trading.group_order_models import GroupOrder  # noqa: E402, F401
from trading.margin_models import (  # noqa: E402, F401 (margin records belong to the app)
    DayTradeRestriction,
    IntradayDeficit,
    MarginCall,
    MarginSettings,
)
