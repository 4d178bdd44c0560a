"""Broker Portal (Wagtail admin) entries for allocations: a menu with blocks, groups and the
day's FIXML export, and the URLs of the views in `allocations.views`."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from allocations import capture_views, views

urlpatterns = [
    path("", views.blocks_index, name="allocations_blocks"),
    path("blocks/new/", capture_views.block_new, name="allocations_block_new"),
    path("blocks/<int:block_id>/", views.block_detail, name="allocations_block"),
    path(
        "blocks/<int:block_id>/fills/",
        capture_views.block_fill_add,
        name="allocations_block_fill_add",
    ),
    path("blocks/<int:block_id>/preview/", views.block_preview, name="allocations_block_preview"),
    path("<int:allocation_id>/", views.allocation_detail, name="allocations_allocation"),
    path("<int:allocation_id>/book/", views.allocation_book, name="allocations_book"),
    path("<int:allocation_id>/reverse/", views.allocation_reverse, name="allocations_reverse"),
    path("<int:allocation_id>/fixml/", views.allocation_fixml, name="allocations_fixml"),
    path("fixml/", views.day_fixml, name="allocations_day_fixml"),
    path("groups/", views.groups_index, name="allocations_groups"),
    path("groups/new/", views.group_edit, name="allocations_group_new"),
    path("groups/<int:group_id>/", views.group_edit, name="allocations_group"),
]


@hooks.register("register_admin_urls")
def register_allocation_urls():
    return [path("allocations/", include(urlpatterns))]


@hooks.register("register_admin_menu_item")
def register_allocations_menu():
    submenu = Menu(
        items=[
            MenuItem("Blocks", reverse("allocations_blocks"), icon_name="list-ul", order=100),
            MenuItem(
                "Capture a block", reverse("allocations_block_new"), icon_name="plus", order=150
            ),
            MenuItem("Groups", reverse("allocations_groups"), icon_name="group", order=200),
            MenuItem(
                "Today's FIXML", reverse("allocations_day_fixml"), icon_name="download", order=300
            ),
        ]
    )
    return SubmenuMenuItem("Allocations", submenu, icon_name="resubmit", order=400)
