"""Every write of the allocations app: groups, blocks and their fills, preview, book, reverse."""

from allocations.services.blocks import block_create, block_fill_add
from allocations.services.booking import allocation_book, allocation_preview, allocation_reverse
from allocations.services.errors import AllocationRefused
from allocations.services.groups import group_create, group_update

__all__ = [
    "AllocationRefused",
    "allocation_book",
    "allocation_preview",
    "allocation_reverse",
    "block_create",
    "block_fill_add",
    "group_create",
    "group_update",
]
