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


@register.simple_tag
def allocation_donut(allocation, title="Allocation by asset class"):
    """The ring of a dashboard's allocation (server-rendered SVG with its text alternative)."""
    from django.utils.safestring import mark_safe

    from clientportal.charts import ASSET_CLASS_LABELS, donut_svg

    slices = [(ASSET_CLASS_LABELS.get(k, k), float(v)) for k, v in allocation]
    # Safe: donut_svg escapes every label and writes only numbers otherwise.
    return mark_safe(donut_svg(slices, title=title))  # noqa: S308


@register.filter
def asset_class_label(code) -> str:
    from clientportal.charts import ASSET_CLASS_LABELS

    return ASSET_CLASS_LABELS.get(code, code)


@register.filter
def share_of(value, allocation) -> str:
    """`value` as a percentage of the allocation's total: "73 %"."""
    total = sum((v for _, v in allocation), Decimal(0))
    return f"{Decimal(value) / total * 100:.0f} %" if total else "–"


@register.simple_tag(takes_context=True)
def unread_badge(context) -> str:
    """The count of the client's unread messages as the Messages tab's badge; nothing at 0."""
    from clientportal.selectors import unread_count_client

    request = context.get("request")
    unread = unread_count_client(user=request.user) if request is not None else 0
    if not unread:
        return ""
    return format_html(' <span class="badge" aria-label="{} unread">{}</span>', unread, unread)
