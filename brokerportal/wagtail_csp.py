"""Wagtail's admin without inline scripts, so the Broker Portal runs under the site's
Content-Security-Policy (no 'unsafe-inline' for scripts).

Wagtail starts a few widgets with an inline `<script>` (wagtail/wagtail#12940): the choosers
(page, image, document, snippet), the date and time inputs and the inline panels. Their markup
here carries a `data-bp-init` element instead, which `brokerportal/admin-init.js` (loaded on
every admin page by brokerportal/wagtail_hooks.py) starts with the same arguments. The date,
time and panel templates are overridden in brokerportal/templates/wagtailadmin/; the choosers'
`render` is replaced here (BrokerportalConfig.ready), because Wagtail writes their script in
Python.
"""

import json

from django.utils.html import format_html
from django.utils.safestring import mark_safe


def chooser_render_without_inline_script(self, name, value, attrs=None, renderer=None):
    """BaseChooser.render with the `new <js_constructor>(id, options)` call as data attributes.
    Choosers with their own script (render_js_init overridden: the workflow task chooser) keep
    Wagtail's rendering."""
    from wagtail.admin.widgets import BaseChooser

    if type(self).render_js_init is not BaseChooser.render_js_init:
        return _wagtail_render(self, name, value, attrs, renderer)
    try:
        id_ = attrs["id"]
    except (KeyError, TypeError) as error:
        raise TypeError("BaseChooser cannot be rendered without an 'id' attribute") from error
    value_data = self.get_value_data(value)
    widget_html = self.render_html(name, value_data, attrs)
    options = self.get_js_init_options(id_, name, value_data)
    return format_html(
        '{}<span hidden data-bp-init="{}" data-bp-new data-bp-target="{}" '
        'data-bp-options="{}"></span>',
        mark_safe(widget_html),  # noqa: S308 - Wagtail's own rendered, escaped template
        self.js_constructor,
        id_,
        json.dumps(options),
    )


_wagtail_render = None


def wagtail_choosers_patch() -> None:
    global _wagtail_render
    from wagtail.admin.widgets import BaseChooser

    if BaseChooser.render is chooser_render_without_inline_script:
        return
    _wagtail_render = BaseChooser.render
    BaseChooser.render = chooser_render_without_inline_script
