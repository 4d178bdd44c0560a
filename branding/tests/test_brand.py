import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_tenants.utils import tenant_context

from branding.brand import Brand
from branding.pages import AnnouncementPage
from tests.support.branding import content_page_add, image_create
from tests.support.tenants import login, tenant_client


def _admin(username):
    return get_user_model().objects.create_superuser(username, f"{username}@example.test", "x")


def test_low_contrast_palette_is_refused_with_its_ratio(in_tenant_a):
    # given light grey text on a white card
    brand = Brand.load()
    brand.text_colour = "#999999"
    # when / then
    with pytest.raises(ValidationError) as refused:
        brand.full_clean()
    assert refused.value.message_dict["text_colour"] == [
        "Contrast of text colour on page background is 2.61:1; "
        "WCAG AA needs at least 4.5:1 for text.",
        "Contrast of text colour on card background is 2.84:1; "
        "WCAG AA needs at least 4.5:1 for text.",
    ]


def test_default_palette_passes(in_tenant_a):
    Brand.load().full_clean()


def test_broker_portal_refuses_low_contrast_and_keeps_the_saved_brand(tenant_a):
    # given a saved brand and a staff member of tenant A
    with tenant_context(tenant_a):
        brand = Brand.load()
        brand.display_name = "Alpha"
        brand.save()
        staff = _admin("brand-editor")
        url = reverse("wagtailsettings:edit", args=["branding", "brand", Brand.load().pk])
    client = login(tenant_client(tenant_a), staff, tenant_a)
    form = {
        "display_name": "Alpha Changed",
        "primary_colour": "#ffff00",
        "on_primary_colour": "#ffffff",
        "secondary_colour": "#1f2937",
        "accent_colour": "#0a5c9e",
        "text_colour": "#1b1b1b",
        "background_colour": "#f4f5f7",
        "surface_colour": "#ffffff",
        "font": "system",
    }
    # when white text on a yellow primary is submitted
    response = client.post(url, form)
    # then the form is shown again with the ratio, and nothing changed
    assert response.status_code == 200
    assert "Contrast of text on primary on primary colour is 1.07:1" in response.content.decode()
    with tenant_context(tenant_a):
        saved = Brand.objects.get()
        assert (saved.display_name, saved.primary_colour) == ("Alpha", "#0b3d91")


def test_broker_portal_saves_an_accessible_palette(tenant_a):
    with tenant_context(tenant_a):
        staff = _admin("brand-editor2")
        url = reverse("wagtailsettings:edit", args=["branding", "brand", Brand.load().pk])
    client = login(tenant_client(tenant_a), staff, tenant_a)
    form = {
        "display_name": "Alpha",
        "primary_colour": "#5b2a86",
        "on_primary_colour": "#ffffff",
        "secondary_colour": "#1f2937",
        "accent_colour": "#0a5c9e",
        "text_colour": "#1b1b1b",
        "background_colour": "#f4f5f7",
        "surface_colour": "#ffffff",
        "font": "serif",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    with tenant_context(tenant_a):
        saved = Brand.objects.get()
        assert (saved.primary_colour, saved.font) == ("#5b2a86", "serif")


def test_preview_renders_login_and_dashboard_in_the_unsaved_brand(tenant_a):
    with tenant_context(tenant_a):
        staff = _admin("brand-previewer")
        url = reverse("branding_brand_preview")
    client = login(tenant_client(tenant_a), staff, tenant_a)
    response = client.post(url, {"display_name": "Preview Co", "primary_colour": "#6a1b9a"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "--brand-primary:#6a1b9a" in body
    assert 'data-preview="login"' in body and 'data-preview="dashboard"' in body
    with tenant_context(tenant_a):
        assert Brand.objects.filter(primary_colour="#6a1b9a").count() == 0


def test_tenant_b_host_never_serves_tenant_a_brand(tenant_a, tenant_b):
    # given tenant A's logo, colours and an announcement
    with tenant_context(tenant_a):
        brand = Brand.load()
        brand.display_name = "Alpha Brokerage"
        brand.primary_colour = "#7a1f5c"
        brand.logo = image_create(title="alpha-logo", colour=(122, 31, 92))
        brand.save()
        page = content_page_add(AnnouncementPage(title="Alpha-only news", summary="for A"))
        page_id, page_url = page.id, page.url
    a_client, b_client = tenant_client(tenant_a), tenant_client(tenant_b)
    # when the same paths are asked on both hosts
    a_logo, b_logo = a_client.get("/brand/logo"), b_client.get("/brand/logo")
    a_css, b_css = a_client.get("/brand/theme.css"), b_client.get("/brand/theme.css")
    b_login = b_client.get(reverse("clientportal:login")).content.decode()
    b_manifest = b_client.get("/brand/manifest.webmanifest").json()
    # then A's host serves A's brand and B's host none of it
    assert a_logo.status_code == 200 and b_logo.status_code == 404
    assert "#7a1f5c" in a_css.content.decode()
    assert "#7a1f5c" not in b_css.content.decode()
    assert "#7a1f5c" not in b_login and "Alpha Brokerage" not in b_login
    assert b_manifest["theme_color"] == "#0b3d91"
    assert b_manifest["name"] == "Tenant B Advisors"
    assert a_client.get(page_url).status_code == 200
    assert b_client.get(page_url).status_code == 404
    assert b_client.get(f"/content/{page_id}/").status_code in (302, 404)


def test_brand_editors_and_withdrawal_deciders_hold_their_permissions(in_tenant_a):
    def perms(group):
        return set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))

    assert "change_brand" in perms("Security Officer")
    assert {"change_brand", "change_withdrawalrequest"} <= perms("Compliance Officer")
    assert "change_withdrawalrequest" not in perms("Viewer")
