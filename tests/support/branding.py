"""Helpers for tests that need brand images and content pages (call inside tenant_context)."""

import io

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Site


def png_bytes(colour: tuple[int, int, int], size: tuple[int, int] = (240, 80)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def image_create(*, title: str, colour: tuple[int, int, int]):
    data = png_bytes(colour)
    return get_image_model().objects.create(
        title=title, file=ImageFile(io.BytesIO(data), name=f"{title}.png")
    )


def content_page_add(page):
    """Publish `page` under the default site's root page."""
    root = Site.objects.get(is_default_site=True).root_page
    root.add_child(instance=page)
    page.save_revision().publish()
    return page
