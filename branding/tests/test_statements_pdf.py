"""The branded PDF: pagination with repeated headers, page x of y, Unicode names, page images."""

import io
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from branding.statements.pdf import statement_pdf
from tests.support.statements import BRAND, HOLDER, statement_make

# Page images of the multi-page statement land here (kept after the run for a human to look at).
PAGES_DIR = Path(
    os.environ.get("STATEMENT_PAGES_DIR", "/tmp/brokerportal-statement-pages")  # noqa: S108
)
TRADES_HEADER = "Date Symbol Side Quantity Price Proceeds Commission Realized P&L Currency"


def _pages_text(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def long_statement_pdf():
    return statement_pdf(statement_make(trades=2000), BRAND)


def _trade_rows_on(text: str) -> int:
    return sum(
        text.count(f" {symbol} {side} ") for symbol in ("AAPL", "MSFT") for side in ("BUY", "SELL")
    )


def test_2000_trades_paginate_with_the_header_repeated_on_every_trades_page(long_statement_pdf):
    # given / when
    pages = _pages_text(long_statement_pdf)
    # then: every trade is printed once, spread over many pages, and every page with trades
    # opens its table with the header row
    trades_pages = [text for text in pages if _trade_rows_on(text)]
    assert len(trades_pages) >= 20
    assert sum(_trade_rows_on(text) for text in trades_pages) == 2000
    assert all(text.count(TRADES_HEADER) == 1 for text in trades_pages)


def test_every_page_says_page_x_of_y(long_statement_pdf):
    pages = _pages_text(long_statement_pdf)
    total = len(pages)
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in text


def test_non_latin1_names_render_in_the_embedded_font(long_statement_pdf):
    # given
    reader = PdfReader(io.BytesIO(long_statement_pdf))
    # then: the name is found in the text, and the font is embedded (a subset of the TTF)
    assert HOLDER in " ".join(reader.pages[0].extract_text().split())
    assert "José Müller" in " ".join(_pages_text(long_statement_pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = {
        str(font["/BaseFont"]).split("+")[-1]
        for font in (fonts[name].get_object() for name in fonts)
        if "/FontDescriptor" in font and "/FontFile2" in font["/FontDescriptor"].get_object()
    }
    assert embedded == {"Roboto-Regular", "Roboto-Bold"}


def test_brand_header_footer_and_figures_on_the_first_page():
    # given
    pdf = statement_pdf(statement_make(trades=5), BRAND)
    # when
    first = _pages_text(pdf)[0]
    # then
    assert first.startswith("Northwind Securities")
    assert "Northwind Securities LLC · Member FINRA/SIPC" in first
    assert "Starting value 100,000.00" in first
    assert "Ending value 105,234.56" in first
    assert "Time-weighted return (TWR) 1.23%" in first
    assert "Money-weighted return (MWR) 1.19%" in first


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_page_images_of_a_multi_page_statement(long_statement_pdf):
    # given
    target = PAGES_DIR / "statement-2000-trades"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    (target / "statement.pdf").write_bytes(long_statement_pdf)
    # when
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", str(target / "statement.pdf"), str(target / "page")],
        check=True,
    )
    # then: one image per page
    images = sorted(target.glob("page-*.png"))
    assert len(images) == len(PdfReader(io.BytesIO(long_statement_pdf)).pages)
    assert all(image.stat().st_size > 1000 for image in images)


def test_charts_draw_the_nav_axes_and_the_allocation_with_the_logo_on_every_statement():
    # given: a brand with a logo, and a statement with a month of NAV history
    image = io.BytesIO()
    Image.new("RGB", (60, 24), "#1F3A5F").save(image, format="PNG")
    brand = replace(BRAND, logo_png=image.getvalue())
    statement = statement_make(trades=2)
    # when: two statements in the same brand (the logo and styles are reused)
    first, second = (statement_pdf(statement, brand) for _ in range(2))
    # then: the NAV chart's title, value axis (100,000 to 106,000) and date axis are drawn
    (page, *_) = _pages_text(second)
    assert "Net asset value" in page
    assert "100,000" in page and "106,000" in page
    assert "01 Oct" in page and "31 Oct" in page
    # the allocation counts cash: 52,000.50 cash, 19,025 stocks, 4,500 bonds of 75,525.50
    assert "Cash 69%" in page and "Stocks 25%" in page and "Bonds 6%" in page
    # and each PDF embeds the logo
    for pdf in (first, second):
        images = [i for p in PdfReader(io.BytesIO(pdf)).pages for i in p.images]
        assert len(images) == 2  # one per page
