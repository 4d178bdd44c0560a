"""The tenant's brand: one row per tenant schema, edited in the Broker Portal (Settings > Brand).

Colours used for text are checked for WCAG AA contrast when the brand is saved; a palette that
fails is refused with the measured ratio (see `branding.contrast`).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse_lazy
from django.utils.text import format_lazy
from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from .contrast import HEX_COLOUR, contrast_failures

COLOUR_FIELDS = (
    "primary_colour",
    "on_primary_colour",
    "secondary_colour",
    "accent_colour",
    "text_colour",
    "background_colour",
    "surface_colour",
)

# (foreground, background) pairs that the portal, e-mails and PDFs use for text.
TEXT_PAIRS = (
    ("text_colour", "background_colour"),
    ("text_colour", "surface_colour"),
    ("on_primary_colour", "primary_colour"),
    ("on_primary_colour", "secondary_colour"),
    ("primary_colour", "surface_colour"),
    ("accent_colour", "surface_colour"),
)

FONT_STACKS = {
    "system": 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    "humanist": '"Gill Sans", "Gill Sans MT", Calibri, "Trebuchet MS", sans-serif',
    "serif": 'Georgia, "Times New Roman", Times, serif',
    "mono": 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
}

PREVIEW_BUTTON = format_lazy(
    '<button type="submit" class="button button-secondary" formaction="{}" '
    'formtarget="_blank" formnovalidate>Preview login page and dashboard</button>',
    reverse_lazy("branding_brand_preview"),
)


def _colour_field(default: str, verbose_name: str) -> models.CharField:
    return models.CharField(
        verbose_name, max_length=7, default=default, help_text="Hex colour, e.g. #0b3d91"
    )


@register_setting(icon="image")
class Brand(BaseGenericSetting):
    display_name = models.CharField(max_length=120, blank=True)
    legal_name = models.CharField(max_length=200, blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    favicon = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    primary_colour = _colour_field("#0b3d91", "primary colour")
    on_primary_colour = _colour_field("#ffffff", "text on primary")
    secondary_colour = _colour_field("#1f2937", "secondary colour")
    accent_colour = _colour_field("#0a5c9e", "accent (links)")
    text_colour = _colour_field("#1b1b1b", "text colour")
    background_colour = _colour_field("#f4f5f7", "page background")
    surface_colour = _colour_field("#ffffff", "card background")
    font = models.CharField(
        max_length=16, choices=[(key, key.title()) for key in FONT_STACKS], default="system"
    )
    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=40, blank=True)
    support_url = models.URLField(blank=True)
    legal_disclaimer = models.TextField(blank=True)
    statement_footer = models.TextField(blank=True)
    email_sender_name = models.CharField(max_length=120, blank=True)
    benchmarks = models.CharField(
        max_length=200,
        blank=True,
        help_text=(
            "Symbols of the benchmarks clients may compare their performance with, "
            "comma-separated, the default first (e.g. MKT500, WORLDX). Empty: the platform's "
            "list."
        ),
    )

    select_related = ["logo", "favicon"]

    panels = [
        MultiFieldPanel(
            [FieldPanel("display_name"), FieldPanel("legal_name"), FieldPanel("email_sender_name")],
            heading="Names",
        ),
        MultiFieldPanel([FieldPanel("logo"), FieldPanel("favicon")], heading="Images"),
        MultiFieldPanel(
            [FieldPanel(name) for name in COLOUR_FIELDS] + [FieldPanel("font")],
            heading="Colours and font",
        ),
        MultiFieldPanel(
            [FieldPanel("support_email"), FieldPanel("support_phone"), FieldPanel("support_url")],
            heading="Support contacts",
        ),
        MultiFieldPanel(
            [FieldPanel("legal_disclaimer"), FieldPanel("statement_footer")], heading="Legal texts"
        ),
        MultiFieldPanel([FieldPanel("benchmarks")], heading="Client portal"),
        HelpPanel(content=PREVIEW_BUTTON, heading="Preview"),
    ]

    class Meta:
        verbose_name = "brand"

    def __str__(self) -> str:
        return self.display_name or "Brand"

    def colours(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in COLOUR_FIELDS}

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[str]] = {}
        for name in COLOUR_FIELDS:
            if not HEX_COLOUR.match(getattr(self, name) or ""):
                errors.setdefault(name, []).append("Enter a hex colour such as #0b3d91.")
        if not errors:
            labels = {name: str(self._meta.get_field(name).verbose_name) for name in COLOUR_FIELDS}
            for failure in contrast_failures(self.colours(), TEXT_PAIRS):
                errors.setdefault(failure.foreground_name, []).append(failure.message(labels))
        unknown = self._benchmarks_unknown()
        if unknown:
            errors.setdefault("benchmarks", []).append(
                f"No instrument with the symbol {', '.join(unknown)}: enter symbols of the "
                "instrument master, comma-separated."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def benchmark_symbols(self) -> list[str]:
        """The tenant's benchmark symbols in their order, without repeats."""
        symbols = [s.strip().upper() for s in (self.benchmarks or "").split(",")]
        return list(dict.fromkeys(s for s in symbols if s))

    def _benchmarks_unknown(self) -> list[str]:
        from django.db import connection

        from ledger.selectors import instruments_by_symbol

        symbols = self.benchmark_symbols
        if not symbols:
            return []
        known = instruments_by_symbol(tenant=getattr(connection, "tenant", None), symbols=symbols)
        return [s for s in symbols if s not in known]

    @property
    def font_stack(self) -> str:
        return FONT_STACKS.get(self.font, FONT_STACKS["system"])
