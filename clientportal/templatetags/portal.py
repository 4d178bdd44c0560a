from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def percent(value, places: int = 2) -> str:
    """A fraction of 1 as a percentage: 0.012345 -> "1.23 %"."""
    if value is None or value == "":
        return "–"
    return f"{Decimal(value) * 100:.{int(places)}f} %"
