"""Fetch-and-check for branding objects reached from request input."""

from django.http import Http404
from wagtail.models import Page

from .pages import CONTENT_PAGE_TYPES


def access_content_page(*, page_id: int) -> Page:
    """A live announcement, disclosure or FAQ page of the current tenant; 404 otherwise."""
    page = Page.objects.live().filter(pk=page_id).first()
    specific = page.specific if page else None
    if not isinstance(specific, CONTENT_PAGE_TYPES):
        raise Http404("No such page")
    return specific
