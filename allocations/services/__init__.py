"""Every write of the allocations app: groups, blocks and their fills, preview, book, reverse."""

from allocations.services.blocks import (
    FillSpec,
    block_capture,
    block_create,
    block_fill_add,
    blocks_from_master_executions,
)
from allocations.services.booking import allocation_book, allocation_preview, allocation_reverse
from allocations.services.errors import AllocationRefused
from allocations.services.groups import group_create, group_update

__all__ = [
    "AllocationRefused",
    "FillSpec",
    "allocation_book",
    "allocation_preview",
    "allocation_reverse",
    "block_capture",
    "block_create",
    "block_fill_add",
    "blocks_from_master_executions",
    "group_create",
    "group_update",
]
