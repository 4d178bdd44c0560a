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


@hooks.register("insert_global_admin_css")
def admin_styles():
    """The Broker Portal's additions to Wagtail's styles (target sizes, scrolling tables)."""
    return format_html('<link rel="stylesheet" href="{}">', static("brokerportal/admin.css"))


@hooks.register("construct_main_menu")
def help_for_page_editors_only(request, menu_items):
    """The Help menu (Wagtail's editor guide) is for those who edit pages."""
    if not _edits_pages(request.user):
        menu_items[:] = [item for item in menu_items if item.name != "help"]


@hooks.register("construct_help_menu")
def no_wagtail_release_notes(request, menu_items):
    """Wagtail's "What's new" links to its release notes, which are not this product's."""
    menu_items[:] = [item for item in menu_items if not item.name.startswith("whats-new")]


AVATAR_FILLS = ("#0b3d91", "#2e6b4f", "#8a3b12", "#5b3a8c", "#1f5f7a", "#7a2e4f")


def initials_for(user) -> str:
    """Up to two letters for an avatar: the first and last name's initials, else the e-mail's
    or username's first letter."""
    first = (getattr(user, "first_name", "") or "").strip()
    last = (getattr(user, "last_name", "") or "").strip()
    if first or last:
        return ((first[:1] + last[:1]) or "?").upper()
    name = (getattr(user, "email", "") or user.get_username() or "?").strip()
    return name[:1].upper() or "?"


@hooks.register("get_avatar_url")
def initials_avatar(user, size):
    """Staff avatars are the person's initials (or the picture they uploaded), drawn here as an
    SVG data URI: nothing is sent to gravatar.com (the e-mail's hash would leave for a third
    party) and no image is requested. White text on these fills has a contrast of at least
    4.5:1 (WCAG 2.2, 1.4.3)."""
    from html import escape
    from urllib.parse import quote

    if user is None or not getattr(user, "pk", None):
        return None  # an action of the system (no person): Wagtail's own default picture
    profile = getattr(user, "wagtail_userprofile", None)
    if profile is not None and profile.avatar:
        return None  # a picture the person uploaded (served from our own media) comes first
    fill = AVATAR_FILLS[user.pk % len(AVATAR_FILLS)]
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40">'
        f'<rect width="40" height="40" fill="{fill}"/>'
        '<text x="20" y="26" text-anchor="middle" font-family="sans-serif" font-size="16" '
        f'font-weight="700" fill="#fff">{escape(initials_for(user))}</text></svg>'
    )
    return "data:image/svg+xml," + quote(svg)
