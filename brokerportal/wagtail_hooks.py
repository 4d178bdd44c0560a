from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks


@hooks.register("insert_global_admin_js")
def admin_widget_starter():
    """Starts the widgets Wagtail would start with inline scripts (brokerportal.wagtail_csp)."""
    return format_html('<script src="{}"></script>', static("brokerportal/admin-init.js"))


def _edits_pages(user) -> bool:
    from wagtail.permission_policies.pages import PagePermissionPolicy

    return user.is_superuser or PagePermissionPolicy().user_has_any_permission(
        user, ["add", "change", "publish"]
    )


@hooks.register("construct_main_menu")
def help_for_page_editors_only(request, menu_items):
    """The Help menu (Wagtail's editor guide) is for those who edit pages."""
    if not _edits_pages(request.user):
        menu_items[:] = [item for item in menu_items if item.name != "help"]


@hooks.register("construct_help_menu")
def no_wagtail_release_notes(request, menu_items):
    """Wagtail's "What's new" links to its release notes, which are not this product's."""
    menu_items[:] = [item for item in menu_items if not item.name.startswith("whats-new")]
