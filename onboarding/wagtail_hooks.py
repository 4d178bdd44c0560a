"""The onboarding screens of the Broker Portal: menu and URLs (views in admin_views.py)."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from tenants.roles import has_role

from . import admin_views, disclosure_views
from .services.workflow import REVIEWER_ROLES

admin_urlpatterns = [
    path("", admin_views.queue, name="queue"),
    path("<int:application_id>/", admin_views.detail, name="detail"),
    path("<int:application_id>/documents/", admin_views.document_add, name="document_add"),
    path("<int:application_id>/address/", admin_views.address_change, name="address_change"),
    path("<int:application_id>/<slug:action>/", admin_views.act, name="act"),
    path("documents/<int:document_id>/", admin_views.document_download, name="document"),
    path("bulk/", admin_views.bulk, name="bulk"),
    path("bulk/<int:bulk_import_id>/", admin_views.bulk_detail, name="bulk_detail"),
    path("bulk/<int:bulk_import_id>/report.csv", admin_views.bulk_report, name="bulk_report"),
    path("watchlist/", admin_views.watchlist, name="watchlist"),
    path("disclosures/", disclosure_views.disclosure_coverage_view, name="disclosures"),
]


@hooks.register("register_admin_urls")
def register_onboarding_urls():
    return [
        path(
            "onboarding/",
            include((admin_urlpatterns, "onboarding_admin"), namespace="onboarding_admin"),
        )
    ]


class ReviewerMenuItem(MenuItem):
    def is_shown(self, request):
        return has_role(request.user, *REVIEWER_ROLES)


class ReviewerSubmenu(SubmenuMenuItem):
    def is_shown(self, request):
        return has_role(request.user, *REVIEWER_ROLES)


@hooks.register("register_admin_menu_item")
def register_onboarding_menu():
    menu = Menu(
        items=[
            ReviewerMenuItem("Queue", reverse("onboarding_admin:queue"), icon_name="list-ul"),
            ReviewerMenuItem("Bulk import", reverse("onboarding_admin:bulk"), icon_name="upload"),
            ReviewerMenuItem(
                "Watch list", reverse("onboarding_admin:watchlist"), icon_name="warning"
            ),
            ReviewerMenuItem(
                "Disclosures", reverse("onboarding_admin:disclosures"), icon_name="doc-full"
            ),
        ]
    )
    return ReviewerSubmenu("Applications", menu, icon_name="user", order=200)
