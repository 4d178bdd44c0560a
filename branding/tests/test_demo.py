from django.contrib.auth.models import Group
from django_tenants.utils import tenant_context

from branding import demo
from branding.brand import Brand
from branding.pages import AnnouncementPage, DisclosurePage, FAQPage


def test_demo_brand_and_pages_are_seeded_once(tenant_a, monkeypatch):
    # given tenant A seeded like the Northwind demo tenant
    monkeypatch.setitem(demo.DEMO_BRANDS, "tenant_a", demo.DEMO_BRANDS["northwind"])
    # when seeded twice
    demo.branding_demo_seed(tenant=tenant_a)
    demo.branding_demo_seed(tenant=tenant_a)
    # then the brand passed the contrast check and each page exists once
    with tenant_context(tenant_a):
        brand = Brand.objects.get()
        assert (brand.display_name, brand.primary_colour) == ("Northwind", "#0b4f6c")
        assert [m.objects.live().count() for m in (AnnouncementPage, DisclosurePage, FAQPage)] == [
            1,
            1,
            1,
        ]


def test_brand_editors_and_withdrawal_deciders_hold_their_permissions(in_tenant_a):
    def perms(group):
        return set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))

    assert "change_brand" in perms("Security Officer")
    assert {"change_brand", "change_withdrawalrequest"} <= perms("Compliance Officer")
    assert "change_withdrawalrequest" not in perms("Viewer")
