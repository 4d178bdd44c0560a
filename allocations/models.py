"""Allocation groups, blocks of executions in a master account, and their allocations.

Tenant tables; they point at the shared ledger (accounts, instruments, journal entries), never
the other way round. Writes go through `allocations.services`.
"""

from datetime import time
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from allocations.engine import Method

QUANTITY = {"max_digits": 28, "decimal_places": 8}
PRICE = {"max_digits": 28, "decimal_places": 10}
METHOD_CHOICES = [(m.value, m.label) for m in Method]


class AllocationGroup(models.Model):
    """A named set of sub-accounts under one master with a method and rounding step.

    `users` limits who may allocate with the group (empty: every user with trade permission on
    the master and the members).
    """

    name = models.CharField(max_length=120)
    master = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=24, choices=METHOD_CHOICES, default=Method.EQUAL)
    # Whole shares by default; a lot size (100) or a fraction step (0.0001).
    step = models.DecimalField(
        **QUANTITY, default=Decimal(1), validators=[MinValueValidator(Decimal("0.00000001"))]
    )
    # For % change of position: the signed percentage (+10 grows, -50 halves).
    pct = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["master", "name"], name="group_name_unique"),
            models.CheckConstraint(condition=Q(step__gt=0), name="group_step_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class AllocationGroupMember(models.Model):
    """One sub-account of a group. `value` is the percentage, ratio, fixed quantity or cash
    amount for the methods that take one; lower `priority` is first in line for remainders."""

    group = models.ForeignKey(AllocationGroup, on_delete=models.CASCADE, related_name="members")
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    priority = models.PositiveIntegerField(default=100)
    value = models.DecimalField(**QUANTITY, null=True, blank=True)

    class Meta:
        ordering = ["priority", "account__number"]
        constraints = [
            models.UniqueConstraint(fields=["group", "account"], name="group_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.account_id}"


class Block(models.Model):
    """A block order executed in a master account, in one or more fills."""

    class Side(models.TextChoices):
        BUY = "buy", "Buy"
        SELL = "sell", "Sell"

    reference = models.CharField(max_length=64, unique=True)
    master = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey("ledger.Instrument", on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=4, choices=Side.choices)
    trade_date = models.DateField()
    group = models.ForeignKey(
        AllocationGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="blocks"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-trade_date", "-id"]
        indexes = [models.Index(fields=["master", "trade_date"])]

    def __str__(self) -> str:
        return self.reference


class BlockFill(models.Model):
    """One execution of a block, booked in the master through the ledger. `allocation` is the
    booked allocation that passed it on to the sub-accounts (null while awaiting one)."""

    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="fills")
    entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    execution_id = models.CharField(max_length=64, unique=True)
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(0)])
    price = models.DecimalField(**PRICE)
    commission = models.DecimalField(**QUANTITY, default=Decimal(0))
    fees = models.DecimalField(**QUANTITY, default=Decimal(0))
    executed_at = models.DateTimeField()
    allocation = models.ForeignKey(
        "Allocation", on_delete=models.PROTECT, null=True, blank=True, related_name="fills"
    )

    class Meta:
        ordering = ["executed_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="fill_positive")]

    def __str__(self) -> str:
        return self.execution_id


class Allocation(models.Model):
    """A split of some fills of a block over a group's accounts: previewed, then booked (one
    ledger entry), possibly reversed later (a reversal entry). Never edited once booked."""

    class State(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        BOOKED = "booked", "Booked"
        REVERSED = "reversed", "Reversed"

    block = models.ForeignKey(Block, on_delete=models.PROTECT, related_name="allocations")
    group = models.ForeignKey(AllocationGroup, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PREVIEWED)
    method = models.CharField(max_length=24, choices=METHOD_CHOICES)
    step = models.DecimalField(**QUANTITY)
    quantity = models.DecimalField(**QUANTITY)
    avg_price = models.DecimalField(**PRICE)
    principal = models.DecimalField(**QUANTITY)
    commission = models.DecimalField(**QUANTITY, default=Decimal(0))
    fees = models.DecimalField(**QUANTITY, default=Decimal(0))
    # The fills this allocation covers, fixed at preview; booking refuses if any is taken.
    fill_ids = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    booked_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "booked_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="previewed") | Q(entry__isnull=False),
                name="allocation_booked_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"AL-{self.pk}"

    @property
    def reference(self) -> str:
        return f"AL-{self.pk}"


class AllocationLine(models.Model):
    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="lines")
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    priority = models.PositiveIntegerField()
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(0)])
    exact_share = models.DecimalField(max_digits=40, decimal_places=12)
    principal = models.DecimalField(**QUANTITY, default=Decimal(0))
    commission = models.DecimalField(**QUANTITY, default=Decimal(0))
    fees = models.DecimalField(**QUANTITY, default=Decimal(0))
    explanation = models.TextField(blank=True)

    class Meta:
        ordering = ["priority", "account__number"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "account"], name="line_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="line_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.allocation_id}:{self.account_id} {self.quantity}"


@register_setting(icon="time")
class AllocationSettings(BaseGenericSetting):
    """The firm's allocation policy: blocks still awaiting allocation after the cut-off time of
    their trade date are listed as exceptions."""

    cutoff = models.TimeField(
        default=time(16, 30), help_text="Blocks unallocated after this time are exceptions."
    )

    class Meta:
        verbose_name = "Allocation settings"
