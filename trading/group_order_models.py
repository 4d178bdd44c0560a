"""An advisor's order for an allocation group: the order (on the group's master) and what it
became, the group's block and its booked allocation. Imported by `trading.models`."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class GroupOrder(models.Model):
    order = models.OneToOneField(
        "trading.Order", on_delete=models.PROTECT, related_name="group_order"
    )
    group = models.ForeignKey(
        "allocations.AllocationGroup", on_delete=models.PROTECT, related_name="+"
    )
    block = models.OneToOneField(
        "allocations.Block", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    allocation = models.OneToOneField(
        "allocations.Allocation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    allocated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"group order {self.order_id} for {self.group_id}"
