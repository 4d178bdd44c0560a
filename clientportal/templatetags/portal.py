from decimal import Decimal

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def percent(value, places: int = 2) -> str:
    """A fraction of 1 as a percentage: 0.012345 -> "1.23 %"."""
    if value is None or value == "":
        return "–"
    return f"{Decimal(value) * 100:.{int(places)}f} %"


@register.filter
def money(value) -> str:
    """Two decimals with thousands separators; negative amounts marked for colour."""
    if value is None or value == "":
        return ""
    text = f"{Decimal(value):,.2f}"
    if Decimal(value) < 0:
        return format_html('<span class="neg">{}</span>', text)
    return text
