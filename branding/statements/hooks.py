"""Broker Portal set-up for statements (registered from `branding.wagtail_hooks`)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from branding.statements import flex_views, reconciliation_views, report_views, staff_views


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
        path("statements/reports/", report_views.reports_index, name="branding_reports"),
        path(
            "statements/reports/reconciliation/",
            reconciliation_views.reconciliation_report,
            name="branding_reconciliation",
        ),
        path(
            "statements/reports/reconciliation/import/",
            flex_views.flex_upload,
            name="branding_flex_upload",
        ),
        path(
            "statements/reports/confirmations/<int:account_id>/<str:trade_date>/<str:fmt>/",
            report_views.confirmation_download_staff,
            name="branding_report_confirmation",
        ),
        path(
            "statements/reports/gains/<int:account_id>/<int:year>/<str:fmt>/",
            report_views.gains_download_staff,
            name="branding_report_gains",
        ),
        path(
            "statements/reports/performance/<int:account_id>/<str:fmt>/",
            report_views.performance_download_staff,
            name="branding_report_performance",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_statements_menu_item():
    return StatementsMenuItem(
        "Statements", reverse("branding_statement_runs"), icon_name="doc-full", order=800
    )


@hooks.register("register_admin_menu_item")
def register_reports_menu_item():
    # Every Broker Portal user: the page lists only the accounts they may report on.
    return MenuItem("Reports", reverse("branding_reports"), icon_name="table", order=801)
