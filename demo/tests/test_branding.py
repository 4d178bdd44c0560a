"""The demo brands and portal pages: seeded once, whatever the number of runs."""

from django_tenants.utils import tenant_context

from branding.brand import Brand
from branding.pages import AnnouncementPage, DisclosurePage, FAQPage
from demo.branding import DEMO_BRANDS, DEMO_DISCLOSURES, branding_demo_seed


def test_demo_brand_and_pages_are_seeded_once(tenant_a, monkeypatch):
    # given tenant A seeded like the Northwind demo tenant
    monkeypatch.setitem(DEMO_BRANDS, "tenant_a", DEMO_BRANDS["northwind"])
    # when seeded twice
    branding_demo_seed(tenant=tenant_a)
    branding_demo_seed(tenant=tenant_a)
    # then the brand passed the contrast check and each page exists once
    with tenant_context(tenant_a):
        brand = Brand.objects.get()
        assert (brand.display_name, brand.primary_colour) == ("Northwind", "#0b4f6c")
        assert [m.objects.live().count() for m in (AnnouncementPage, DisclosurePage, FAQPage)] == [
            1,
            len(DEMO_DISCLOSURES),
            1,
        ]
