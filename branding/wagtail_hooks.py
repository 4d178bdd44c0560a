"""Broker Portal: the brand preview (login page and dashboard in an unsaved brand)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.images import get_image_model

from .brand import COLOUR_FIELDS, FONT_STACKS, TEXT_PAIRS, Brand
from .contrast import HEX_COLOUR, contrast_failures

TEXT_FIELDS = ("display_name", "legal_name", "support_email", "support_phone", "legal_disclaimer")


def _brand_from_form(data) -> Brand:
    brand = Brand()
    for name in TEXT_FIELDS:
        setattr(brand, name, data.get(name, ""))
    for name in COLOUR_FIELDS:
        value = data.get(name, "")
        if HEX_COLOUR.match(value):
            setattr(brand, name, value)
    if data.get("font") in FONT_STACKS:
        brand.font = data["font"]
    logo_id = data.get("logo", "")
    if logo_id.isdigit():
        brand.logo = get_image_model().objects.filter(pk=int(logo_id)).first()
    return brand


@require_POST
def brand_preview(request):
    if not request.user.has_perm("branding.change_brand"):
        raise PermissionDenied
    brand = _brand_from_form(request.POST)
    failures = [f.message() for f in contrast_failures(brand.colours(), TEXT_PAIRS)]
    context = {"brand_preview": brand, "contrast_failures": failures}
    return render(request, "branding/preview.html", context)


@hooks.register("register_admin_urls")
def register_brand_preview_url():
    return [path("brand-preview/", brand_preview, name="branding_brand_preview")]


# Statements: month-end runs, progress and downloads (registered in their own module).
from branding.statements import hooks as statement_hooks  # noqa: E402, F401
