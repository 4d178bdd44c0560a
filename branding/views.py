"""Per-tenant brand assets: theme stylesheet, logo, favicon, web app manifest and icons.

Served from the tenant's own schema and media folder, so one tenant's host can only ever answer
with that tenant's assets.
"""

import io
import mimetypes

from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from PIL import Image as PILImage
from PIL import ImageDraw

from .contrast import hex_parse
from .selectors import brand_current
from .theme import theme_css

ICON_SIZES = (192, 512)
ASSET_MAX_AGE = 300


def _cached(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = f"max-age={ASSET_MAX_AGE}"
    return response


def _rendition_response(image, spec: str) -> FileResponse:
    rendition = image.get_rendition(spec)
    rendition.file.open("rb")
    content_type = mimetypes.guess_type(rendition.file.name)[0] or "application/octet-stream"
    response = FileResponse(rendition.file, content_type=content_type)
    return _cached(response)


def _generated_icon(brand, size: int) -> HttpResponse:
    """A square in the primary colour with the brand's initial, when no logo is uploaded."""
    canvas = PILImage.new("RGB", (size, size), hex_parse(brand.primary_colour))
    initial = (brand.display_name or "B")[:1].upper()
    draw = ImageDraw.Draw(canvas)
    draw.text(
        (size / 2, size / 2),
        initial,
        fill=hex_parse(brand.on_primary_colour),
        anchor="mm",
        font_size=int(size * 0.6),
    )
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return _cached(HttpResponse(buffer.getvalue(), content_type="image/png"))


@require_GET
def theme_stylesheet(request):
    css = theme_css(brand_current(request=request))
    return _cached(HttpResponse(css, content_type="text/css"))


@require_GET
def logo(request):
    brand = brand_current(request=request)
    if brand.logo is None:
        raise Http404("No logo")
    return _rendition_response(brand.logo, "max-480x160")


@require_GET
def favicon(request):
    brand = brand_current(request=request)
    image = brand.favicon or brand.logo
    if image is None:
        return _generated_icon(brand, 64)
    return _rendition_response(image, "fill-64x64")


@require_GET
def icon(request, size: int):
    if size not in ICON_SIZES:
        raise Http404("No such icon")
    brand = brand_current(request=request)
    image = brand.favicon or brand.logo
    if image is None:
        return _generated_icon(brand, size)
    return _rendition_response(image, f"fill-{size}x{size}")


@require_GET
def manifest(request):
    brand = brand_current(request=request)
    name = brand.display_name or request.tenant.name
    data = {
        "name": name,
        "short_name": name[:12],
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": brand.primary_colour,
        "background_color": brand.background_colour,
        "icons": [
            {
                "src": reverse("branding:icon", kwargs={"size": size}),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any",
            }
            for size in ICON_SIZES
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    return _cached(response)
