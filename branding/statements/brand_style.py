"""The current tenant's brand as the renderers need it (`layout.BrandStyle`)."""

from __future__ import annotations

import logging

from branding.brand import Brand
from branding.statements.layout import BrandStyle

logger = logging.getLogger(__name__)
LOGO_RENDITION = "max-600x240|format-png"


def _logo_png(brand: Brand) -> bytes | None:
    if brand.logo_id is None:
        return None
    try:
        rendition = brand.logo.get_rendition(LOGO_RENDITION)
        with rendition.file.open("rb") as handle:
            return handle.read()
    except (OSError, ValueError):
        # A missing or unreadable logo file must not stop statements: they go out with the
        # brand's name only, and the log says why.
        logger.warning("brand logo %s unreadable; statements render without it", brand.logo_id)
        return None


def brand_style_current() -> BrandStyle:
    """The brand of the current schema's tenant (defaults if the tenant never set one)."""
    brand = Brand.load()
    legal_texts = tuple(
        paragraph.strip()
        for paragraph in (brand.legal_disclaimer or "").split("\n\n")
        if paragraph.strip()
    )
    contact = " · ".join(v for v in (brand.support_email, brand.support_phone) if v)
    return BrandStyle(
        name=brand.display_name or brand.legal_name or "Statement",
        legal_name=brand.legal_name,
        primary_colour=brand.primary_colour,
        accent_colour=brand.accent_colour,
        text_colour=brand.text_colour,
        logo_png=_logo_png(brand),
        footer=(brand.statement_footer or "").strip(),
        legal_texts=legal_texts,
        contact=contact,
    )
