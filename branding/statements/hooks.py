"""Broker Portal set-up for statements (registered from `branding.wagtail_hooks`)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from branding.statements import staff_views


class StatementsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("branding.view_statementrun")


@hooks.register("register_admin_urls")
def register_statement_urls():
    return [
        path("statements/", staff_views.statement_runs, name="branding_statement_runs"),
        path(
            "statements/runs/",
            staff_views.statement_run_create,
            name="branding_statement_run_create",
        ),
        path(
            "statements/runs/<int:run_id>/",
            staff_views.statement_run_detail,
            name="branding_statement_run",
        ),
        path(
            "statements/<int:statement_id>/<str:fmt>/",
            staff_views.statement_download_staff,
            name="branding_statement_download",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_statements_menu_item():
    return StatementsMenuItem(
        "Statements", reverse("branding_statement_runs"), icon_name="doc-full", order=800
    )
