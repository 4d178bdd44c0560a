"""Portal content edited by the tenant's staff as Wagtail pages: announcements (shown on the
dashboard), disclosures and FAQs. Each tenant's pages live in its own schema."""

from django.db import models
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

PORTAL_TEMPLATE = "branding/content_page.html"


class AnnouncementPage(Page):
    summary = models.CharField(max_length=300, blank=True)
    body = RichTextField(blank=True)
    pinned = models.BooleanField(default=False, help_text="Keep at the top of the dashboard.")

    content_panels = [*Page.content_panels, "summary", FieldPanel("body"), "pinned"]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types: list[str] = []
    template = PORTAL_TEMPLATE
    kind = "announcement"


class DisclosurePage(Page):
    region = models.CharField(
        max_length=2, blank=True, help_text="ISO country code; blank applies to every region."
    )
    version = models.CharField(max_length=20, blank=True)
    body = RichTextField()

    content_panels = [*Page.content_panels, "region", "version", FieldPanel("body")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types: list[str] = []
    template = PORTAL_TEMPLATE
    kind = "disclosure"


class FAQPage(Page):
    intro = RichTextField(blank=True)
    questions = StreamField(
        [
            (
                "question",
                blocks.StructBlock(
                    [("question", blocks.CharBlock()), ("answer", blocks.RichTextBlock())]
                ),
            )
        ],
        blank=True,
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("questions")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types: list[str] = []
    template = PORTAL_TEMPLATE
    kind = "faq"

    class Meta:
        verbose_name = "FAQ page"


CONTENT_PAGE_TYPES = (AnnouncementPage, DisclosurePage, FAQPage)
