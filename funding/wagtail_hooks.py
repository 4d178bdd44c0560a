"""Broker Portal (Wagtail admin) entries of the funding desk: a Funding menu (deposit notices to
credit and journals awaiting approval, with their counts; new journal; upload) shown to the
desk's roles, and the URLs of `funding.views`."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from funding import selectors, views
from funding.access import desk_member

urlpatterns = [
    path("deposits/", views.deposit_notices, name="funding_deposit_notices"),
    path("deposits/<int:notice_id>/", views.deposit_notice, name="funding_deposit_notice"),
    path(
        "deposits/<int:notice_id>/credit/",
        views.deposit_notice_credit,
        name="funding_deposit_notice_credit",
    ),
    path(
        "deposits/<int:notice_id>/reject/",
        views.deposit_notice_reject,
        name="funding_deposit_notice_reject",
    ),
    path("journals/", views.journals, name="funding_journals"),
    path("journals/new/", views.journal_new, name="funding_journal_new"),
    path("journals/upload/", views.journal_upload, name="funding_journal_upload"),
    path("journals/<int:journal_id>/", views.journal_detail, name="funding_journal"),
    path(
        "journals/<int:journal_id>/approve/", views.journal_approve, name="funding_journal_approve"
    ),
    path("journals/<int:journal_id>/reject/", views.journal_reject, name="funding_journal_reject"),
    path(
        "journals/<int:journal_id>/reverse/", views.journal_reverse, name="funding_journal_reverse"
    ),
]


@hooks.register("register_admin_urls")
def register_funding_urls():
    return [path("funding/", include(urlpatterns))]


class DeskMenuItem(MenuItem):
    """Shown to the funding desk's roles; the label carries the queue's count when not empty."""

    def __init__(self, label, url, *, count=None, **kwargs):
        super().__init__(label, url, **kwargs)
        self.count = count

    def is_shown(self, request):
        return desk_member(request.user)

    def render_component(self, request):
        component = super().render_component(request)
        if self.count is not None:
            count = self.count(request)
            if count:
                component.label = f"{self.label} ({count})"
        return component


class DeskSubmenu(SubmenuMenuItem):
    def is_shown(self, request):
        return desk_member(request.user)


@hooks.register("register_admin_menu_item")
def register_funding_menu():
    submenu = Menu(
        items=[
            DeskMenuItem(
                "Deposit notices",
                reverse("funding_deposit_notices"),
                icon_name="download",
                order=100,
                count=lambda r: selectors.deposit_notices_open_count(tenant=r.tenant),
            ),
            DeskMenuItem(
                "Journals awaiting approval",
                reverse("funding_journals"),
                icon_name="resubmit",
                order=200,
                count=lambda r: selectors.journals_awaiting_approval_count(tenant=r.tenant),
            ),
            DeskMenuItem(
                "New journal", reverse("funding_journal_new"), icon_name="plus", order=300
            ),
            DeskMenuItem(
                "Upload journals", reverse("funding_journal_upload"), icon_name="upload", order=400
            ),
        ]
    )
    return DeskSubmenu("Funding", submenu, icon_name="pick", order=450)
