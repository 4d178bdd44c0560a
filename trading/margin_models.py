"""Trading's margin records in the tenant's schema: the firm's margin policy, intraday margin
deficits, margin calls and legacy pattern-day-trader restrictions. Each points at a shared-ledger
account (tenant tables may hold foreign keys to public ones, never the other way round).

Imported by `trading.models`, so the models belong to the `trading` app."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

MONEY = {"max_digits": 28, "decimal_places": 8}

# FINRA's amendments to Rule 4210 (approved by the SEC on 2026-04-15, effective 2026-06-04)
# replace the pattern-day-trader regime with an intraday margin standard; firms may keep the
# legacy regime during the phase-in, which ends on this day.
PDT_PHASE_IN_ENDS = date(2027, 10, 20)


@register_setting(icon="warning")
class MarginSettings(BaseGenericSetting):
    """The firm's margin policy (Broker Portal → Settings → Margin settings)."""

    class Regime(models.TextChoices):
        INTRADAY = "intraday", "Intraday margin standard (FINRA Rule 4210 as amended, 2026)"
        LEGACY_PDT = (
            "legacy_pdt",
            "Legacy pattern-day-trader rules (phase-in only, until 2027-10-20)",
        )

    regime = models.CharField(
        max_length=12,
        choices=Regime.choices,
        default=Regime.INTRADAY,
        help_text=(
            "Day trading in US margin accounts. The legacy pattern-day-trader count (four day "
            "trades in five business days under USD 25,000) may be kept during the phase-in "
            "of FINRA's Rule 4210 amendments, which ends on 2027-10-20; from then on the "
            "intraday margin standard applies whatever this says."
        ),
    )
    warn_excess_pct = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("10"),
        help_text=(
            "An opening order that leaves intraday margin excess below this share of the "
            "account's equity (percent) is warned."
        ),
    )
    call_business_days = models.PositiveSmallIntegerField(
        default=2,
        help_text=(
            "Business days (NYSE calendar) a client has to meet a maintenance margin call; "
            "FINRA Rule 4210(f)(6) allows at most 15."
        ),
    )

    class Meta:
        verbose_name = "Margin settings"

    def __str__(self) -> str:
        return "Margin settings"

    def legacy_pdt_on(self, on: date) -> bool:
        """The legacy regime applies while chosen and the phase-in has not ended."""
        return self.regime == self.Regime.LEGACY_PDT and on <= PDT_PHASE_IN_ENDS


class IntradayDeficit(models.Model):
    """An account whose equity fell below its intraday margin requirement (positions and open
    opening orders at FINRA Rule 4210(c) maintenance rates) on a trading day: one per account
    and day, its largest amount kept, closed when the requirement is met again."""

    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    trade_date = models.DateField()
    arisen_at = models.DateTimeField()
    cause = models.CharField(max_length=40)  # "booking", "prices", "monitor"
    equity = models.DecimalField(**MONEY)
    requirement = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)  # requirement − equity when it arose
    max_amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-arisen_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "trade_date"], name="intraday_deficit_one_per_day"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="intraday_deficit_positive"),
        ]

    def __str__(self) -> str:
        return f"intraday deficit {self.account_id} {self.trade_date} {self.amount}"


class MarginCall(models.Model):
    """A maintenance margin call: the account's excess liquidity (equity less the FINRA Rule
    4210(c) maintenance requirement) went below zero. `amount` is what was called (cash that
    brings excess liquidity back to zero); `current_amount` follows later figures. While it is
    open the account is restricted to closing orders. `liquidation` lists the positions a
    liquidation would sell, largest margin relief first, for staff to confirm."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MET = "met", "Met"

    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(**MONEY)
    current_amount = models.DecimalField(**MONEY)
    equity = models.DecimalField(**MONEY)
    maintenance_margin = models.DecimalField(**MONEY)
    opened_at = models.DateTimeField()
    deadline = models.DateTimeField()
    cause = models.CharField(max_length=40)
    # Whether opening the call restricted the account (it was open): meeting it reopens it then.
    restricted_account = models.BooleanField(default=False)
    liquidation = models.JSONField(default=list)
    liquidation_confirmed_at = models.DateTimeField(null=True, blank=True)
    liquidation_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    met_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="open"),
                name="margin_call_one_open_per_account",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="margin_call_positive"),
        ]

    def __str__(self) -> str:
        return f"margin call {self.account_id} {self.amount} {self.currency} ({self.status})"


class DayTradeRestriction(models.Model):
    """Legacy pattern-day-trader rules (FINRA Rule 4210(f)(8)(B), kept as a tenant setting
    during the phase-in until 2027-10-20): a margin account with four or more day trades in
    five business days and equity under USD 25,000 is restricted to closing orders for 90 days
    or until its equity reaches the minimum again."""

    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    day_trades = models.PositiveSmallIntegerField()
    window_start = models.DateField()
    window_end = models.DateField()
    equity = models.DecimalField(**MONEY)
    restricted_at = models.DateTimeField()
    until = models.DateField()
    restricted_account = models.BooleanField(default=False)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-restricted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(lifted_at__isnull=True),
                name="day_trade_restriction_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"PDT restriction {self.account_id} until {self.until}"
