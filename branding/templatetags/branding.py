from django import template
from django.utils.safestring import mark_safe

from branding.selectors import brand_current
from branding.theme import theme_css

register = template.Library()


@register.simple_tag(takes_context=True)
def brand(context):
    request = context.get("request")
    preview = context.get("brand_preview")
    return preview if preview is not None else brand_current(request=request)


@register.simple_tag(takes_context=True)
def brand_style(context):
    """The brand's custom properties inline, so a page needs no extra request for its theme."""
    current = brand(context)
    # Safe: every colour passed hex_parse() in theme_variables() and the font stack comes from a
    # fixed table, so nothing user-typed reaches the stylesheet unchecked.
    return mark_safe(f"<style>{theme_css(current)}</style>")  # noqa: S308
