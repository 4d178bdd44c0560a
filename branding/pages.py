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
    """A disclosure document in one version for the clients of a region (compliance.disclosures):
    a client whose region it applies to must accept the version in force before funding or
    trading; publishing a new version asks every such client again."""

    TOPICS = [
        (
            "costs_charges",
            "Costs and charges (MiFID II Art. 24(4), Delegated Reg. 2017/565 Art. 50)",
        ),
        ("appropriateness", "Appropriateness (MiFID II Art. 25(3))"),
        ("margin", "Margin disclosure statement (FINRA Rule 2264)"),
        ("options_odd", "Characteristics and Risks of Standardized Options (ODD, FINRA 2360)"),
        ("day_trading", "Day-trading risk disclosure (FINRA Rule 2270)"),
        ("firm", "The firm's own disclosure"),
    ]

    region = models.CharField(
        max_length=8,
        blank=True,
        help_text=(
            "EU (every EU/EEA country), UK, US, or an ISO country code; blank applies to every "
            "client."
        ),
    )
    topic = models.CharField(max_length=20, choices=TOPICS, default="firm")
    version = models.CharField(max_length=20, blank=True)
    effective_date = models.DateField(
        null=True, blank=True, help_text="Asked for from this day on; blank: from publication."
    )
    body = RichTextField()

    content_panels = [
        *Page.content_panels,
        "region",
        "topic",
        "version",
        "effective_date",
        FieldPanel("body"),
    ]
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
