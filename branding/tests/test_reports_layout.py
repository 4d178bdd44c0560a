"""The report renderer without a database: long tables paginate with their header repeated on
every page, page x of y, the embedded font, and column widths that fit the page."""

import datetime as dt
from decimal import Decimal

from branding.statements.gains import SHORT_TERM, ClosedLot, GainsReport, gains_report
from branding.statements.report_render import column_widths, report_pdf
from branding.tests.factories import pdf_pages
from tests.support.statements import BRAND, HOLDER

D = Decimal
LOT_HEADER = (
    "Account Symbol Description Currency Quantity Open date Close date "
    "Proceeds Cost basis Gain/loss Disallowed loss Code"
)


def _report(lots: int) -> GainsReport:
    return GainsReport(
        account_number="U1000001",
        account_title=HOLDER,
        holder_name=HOLDER,
        year=2026,
        lots=tuple(
            ClosedLot(
                account_number="U1000001",
                symbol=f"S{i % 50:03d}",
                description="José Müller Holdings",
                currency="USD",
                quantity=D(10 + i % 7),
                open_date=dt.date(2026, 1, 2),
                close_date=dt.date(2026, 6, 1) + dt.timedelta(days=i % 150),
                proceeds=D("1234567.89"),
                gain=D(i % 11 - 5),
            )
            for i in range(lots)
        ),
        generated_at=dt.datetime(2027, 1, 2, 6, 0, tzinfo=dt.UTC),
    )


def test_a_long_gains_report_repeats_the_lot_header_on_every_page():
    # given
    report = _report(1500)
    # when
    pages = pdf_pages(report_pdf(gains_report(report), BRAND))
    # then: every lot printed once, the header atop each page that has lots
    lot_pages = [text for text in pages if " U1000001 S0" in text]
    assert len(lot_pages) >= 15
    assert sum(text.count("José Müller Holdings") for text in lot_pages) == 1500
    assert all(text.count(LOT_HEADER) == 1 for text in lot_pages)
    assert all(f"Page {n} of {len(pages)}" in text for n, text in enumerate(pages, start=1))
    assert HOLDER in pages[0]
    assert f"{SHORT_TERM} Account Symbol" in " ".join(lot_pages)


def test_column_widths_fill_the_width_and_follow_the_content():
    # given
    section = gains_report(_report(3)).sections[-2]  # the short-term lots
    # when
    widths = column_widths(section, 500.0)
    # then
    assert abs(sum(widths) - 500.0) < 1e-6
    names = [c.name for c in section.columns]
    assert widths[names.index("Description")] > widths[names.index("Currency")]
