from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import staff_views
from .selectors import unread_count_staff, withdrawal_requests_for_staff


class CountingMenuItem(MenuItem):
    """A menu entry whose label carries a live count (unread messages, pending requests)."""

    def __init__(self, label, url, *, count, **kwargs):
        super().__init__(label, url, **kwargs)
        self.count = count

    def is_shown(self, request):
        return request.user.is_staff

    def render_component(self, request):
        component = super().render_component(request)
        count = self.count()
        if count:
            component.label = f"{self.label} ({count})"
        return component


@hooks.register("register_admin_urls")
def register_portal_staff_urls():
    return [
        path("client-messages/", staff_views.staff_messages, name="clientportal_staff_messages"),
        path(
            "client-messages/<int:thread_id>/",
            staff_views.staff_thread,
            name="clientportal_staff_thread",
        ),
        path("withdrawals/", staff_views.staff_withdrawals, name="clientportal_staff_withdrawals"),
        path(
            "withdrawals/<int:request_id>/decide/",
            staff_views.staff_withdrawal_decide,
            name="clientportal_staff_withdrawal_decide",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_messages_menu_item():
    return CountingMenuItem(
        "Client messages",
        reverse("clientportal_staff_messages"),
        icon_name="mail",
        order=900,
        count=unread_count_staff,
    )


@hooks.register("register_admin_menu_item")
def register_withdrawals_menu_item():
    return CountingMenuItem(
        "Withdrawals",
        reverse("clientportal_staff_withdrawals"),
        icon_name="cog",
        order=910,
        count=lambda: withdrawal_requests_for_staff().count(),
    )
