"""Demo brands and portal content for the demo tenants (idempotent)."""

from django_tenants.utils import tenant_context

from branding.brand import Brand
from branding.pages import AnnouncementPage, DisclosurePage, FAQPage

DEMO_BRANDS = {
    "northwind": {
        "display_name": "Northwind",
        "legal_name": "Northwind Securities LLC",
        "primary_colour": "#0b4f6c",
        "secondary_colour": "#16313f",
        "accent_colour": "#0a5c8a",
        "support_email": "support@northwind.example",
        "support_phone": "+1 212 555 0100",
        "legal_disclaimer": "Northwind Securities LLC, member FINRA/SIPC, introduces accounts "
        "to its clearing broker on a fully disclosed basis.",
        "statement_footer": "Northwind Securities LLC · Member FINRA/SIPC",
        "email_sender_name": "Northwind Client Services",
    },
    "harbor": {
        "display_name": "Harbor Advisors",
        "legal_name": "Harbor Advisors Ltd",
        "primary_colour": "#6b2c4a",
        "secondary_colour": "#3d1a2b",
        "accent_colour": "#7a2f55",
        "font": "serif",
        "support_email": "clients@harbor.example",
        "legal_disclaimer": "Harbor Advisors Ltd is authorised and regulated by the Financial "
        "Conduct Authority.",
        "statement_footer": "Harbor Advisors Ltd · Authorised and regulated by the FCA",
        "email_sender_name": "Harbor Advisors",
        # Harbor's clients compare with the world index first (Northwind: the platform's list).
        "benchmarks": "WORLDX, MKT500",
    },
}


def branding_demo_seed(*, tenant) -> None:
    from wagtail.models import Site

    values = DEMO_BRANDS.get(tenant.schema_name)
    if values is None:
        return
    with tenant_context(tenant):
        brand = Brand.load()
        if brand.display_name:
            return  # seeded before (or edited by the tenant's staff since)
        for name, value in values.items():
            setattr(brand, name, value)
        brand.full_clean()
        brand.save()
        root = Site.objects.get(is_default_site=True).root_page
        name = values["display_name"]
        for page in (
            AnnouncementPage(
                title="New: secure messages",
                summary=f"Write to the {name} desk from the Messages tab.",
                body="<p>Replies arrive in the portal; we never ask for passwords by e-mail.</p>",
                pinned=True,
            ),
            *_demo_disclosures(),
            FAQPage(
                title="Frequently asked questions",
                intro="<p>Answers to the questions our clients ask most.</p>",
                questions=[
                    (
                        "question",
                        {
                            "question": "When is a deposit available?",
                            "answer": "<p>Once it has settled, usually the next business day.</p>",
                        },
                    ),
                    (
                        "question",
                        {
                            "question": "How long does a withdrawal take?",
                            "answer": "<p>We approve requests the same day; wires arrive in 1–2 "
                            "business days.</p>",
                        },
                    ),
                ],
            ),
        ):
            root.add_child(instance=page)
            page.save_revision().publish()


# The regional disclosures every demo tenant publishes (compliance.disclosures): MiFID II texts
# for EU/EEA and UK clients, FINRA's for US clients.
DEMO_DISCLOSURES = [
    (
        "EU",
        "costs_charges",
        "Costs and charges (EU)",
        "<p>Before you trade we show every cost and charge of the service and of the instrument, "
        "in euro and as a percentage of the amount invested, and each year after.</p>",
    ),
    (
        "EU",
        "appropriateness",
        "Appropriateness (EU)",
        "<p>For complex instruments we ask about your knowledge and experience and warn you when "
        "a product does not appear appropriate for you.</p>",
    ),
    (
        "UK",
        "costs_charges",
        "Costs and charges (UK)",
        "<p>Every cost and charge, in pounds and as a percentage, before you trade and yearly.</p>",
    ),
    (
        "UK",
        "appropriateness",
        "Appropriateness (UK)",
        "<p>We assess whether complex products are appropriate for you and warn you if not.</p>",
    ),
    (
        "US",
        "margin",
        "Margin disclosure statement",
        "<p>Trading on margin involves risk. You can lose more than you deposit.</p>",
    ),
    (
        "US",
        "options_odd",
        "Characteristics and Risks of Standardized Options",
        "<p>Read the options disclosure document before you trade options.</p>",
    ),
    (
        "US",
        "day_trading",
        "Day-trading risk disclosure",
        "<p>Day trading can be extremely risky and is not appropriate for everyone.</p>",
    ),
]


def _demo_disclosures() -> list[DisclosurePage]:
    return [
        DisclosurePage(title=title, region=region, topic=topic, version="2026-01", body=body)
        for region, topic, title, body in DEMO_DISCLOSURES
    ]
