from django.core.exceptions import ValidationError


class AllocationRefused(ValidationError):
    """A refused allocation action; nothing was changed. The message is meant for a person."""
