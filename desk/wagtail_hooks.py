"""The desk in the Broker Portal: clients and accounts, exception reports, and the home
panels (construct_homepage_panels)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import exception_views, margin_views, panels, views


class StaffMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_staff


@hooks.register("register_admin_urls")
def register_desk_urls():
    return [
        path("accounts/", views.accounts_index, name="desk_accounts"),
        path("accounts/export.csv", views.accounts_export, name="desk_accounts_export"),
        path("accounts/<str:number>/", views.account_detail, name="desk_account"),
        path(
            "accounts/<int:account_id>/act/<slug:action>/",
            views.account_act,
            name="desk_account_act",
        ),
        path("exceptions/", exception_views.exceptions_index, name="desk_exceptions"),
        path(
            "exceptions/export.csv",
            exception_views.exceptions_export,
            name="desk_exceptions_export",
        ),
        path(
            "exceptions/acknowledge/",
            exception_views.exception_acknowledge,
            name="desk_exception_acknowledge",
        ),
        path("margin-calls/", margin_views.margin_calls_index, name="desk_margin_calls"),
        path(
            "margin-calls/confirm/",
            margin_views.margin_call_confirm,
            name="desk_margin_call_confirm",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_accounts_menu_item():
    return StaffMenuItem(
        "Clients and accounts", reverse("desk_accounts"), icon_name="group", order=150
    )


@hooks.register("register_admin_menu_item")
def register_exceptions_menu_item():
    return StaffMenuItem("Exceptions", reverse("desk_exceptions"), icon_name="warning", order=160)


@hooks.register("construct_homepage_panels")
def add_work_panels(request, panels_list):
    panels_list[:0] = [panels.WorkQueuesPanel(request)]
