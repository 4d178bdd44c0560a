from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks


@hooks.register("insert_global_admin_js")
def admin_widget_starter():
    """Starts the widgets Wagtail would start with inline scripts (brokerportal.wagtail_csp)."""
    return format_html('<script src="{}"></script>', static("brokerportal/admin-init.js"))
