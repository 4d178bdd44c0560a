"""Signal receivers only drop caches (connected in BrandingConfig.ready)."""

from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from .brand import Brand
from .pages import AnnouncementPage
from .selectors import announcements_cache_clear, brand_cache_clear


def _brand_changed(sender, **kwargs):
    brand_cache_clear()


def _announcements_changed(sender, **kwargs):
    announcements_cache_clear()


def connect() -> None:
    post_save.connect(_brand_changed, sender=Brand, dispatch_uid="branding-brand-saved")
    post_delete.connect(_brand_changed, sender=Brand, dispatch_uid="branding-brand-deleted")
    for signal in (page_published, page_unpublished):
        signal.connect(
            _announcements_changed, sender=AnnouncementPage, dispatch_uid=f"branding-{id(signal)}"
        )
    post_delete.connect(
        _announcements_changed, sender=AnnouncementPage, dispatch_uid="branding-page-deleted"
    )
