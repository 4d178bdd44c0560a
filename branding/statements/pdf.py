"""A statement as a branded PDF with ReportLab platypus; no Django here.

Every page carries the tenant's colour band, logo and name at the top and its footer with
"Page x of y" at the bottom; long tables split across pages with their header row repeated; the
NAV over the period and the allocation by asset class are drawn with `reportlab.graphics`. Text is
set in Roboto, embedded (subset) from the `font-roboto` package, so names such as "Zoë
Łukasiewicz" render whatever the PDF viewer has installed.
"""

from __future__ import annotations

import io
import math
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import font_roboto
from reportlab import rl_config
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, PolyLine, Rect, String, Wedge
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    KeepTogether,
    LongTable,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
)

from branding.statements.layout import (
    ASSET_CLASS_NAMES,
    BrandStyle,
    Section,
    Statement,
    allocation_by_asset_class,
    money,
    period_label,
    statement_sections,
)

# Attribute validation of chart shapes is a development aid that costs a third of the drawing time.
rl_config.shapeChecking = 0

FONT = "StatementSans"
FONT_BOLD = "StatementSans-Bold"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
HEADER_HEIGHT = 22 * mm
FOOTER_HEIGHT = 14 * mm
PIE_COLOURS = ("#1F3A5F", "#C8A24A", "#4F8A8B", "#B5656B", "#7A6C9E", "#8C8C8C")
PIE_FILLS = tuple(colors.HexColor(c) for c in PIE_COLOURS)


@lru_cache(maxsize=1)
def fonts_register() -> None:
    """Registers the embedded Unicode font once per process."""
    files = Path(font_roboto.font_directory)
    pdfmetrics.registerFont(TTFont(FONT, str(files / "Roboto-Regular.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(files / "Roboto-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)


def _colour(value: str, fallback: str) -> colors.Color:
    try:
        return colors.HexColor(value)
    except ValueError:
        return colors.HexColor(fallback)


class _NumberedCanvas(pdfcanvas.Canvas):
    """Defers every page until the total is known, then writes "Page x of y" on each."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):  # noqa: N802 (ReportLab's API)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(FONT, 8)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawRightString(PAGE_WIDTH - MARGIN, 8 * mm, f"Page {number} of {total}")
            super().showPage()
        super().save()


class _Styles:
    def __init__(self, brand: BrandStyle):
        self.primary = _colour(brand.primary_colour, "#1F3A5F")
        self.accent = _colour(brand.accent_colour, "#C8A24A")
        self.text = _colour(brand.text_colour, "#1A1A1A")
        self.heading = ParagraphStyle(
            "heading",
            fontName=FONT_BOLD,
            fontSize=11,
            leading=14,
            textColor=self.primary,
            spaceBefore=6,
            spaceAfter=3,
        )
        self.body = ParagraphStyle(
            "body", fontName=FONT, fontSize=8, leading=10, textColor=self.text, alignment=TA_LEFT
        )
        self.header = ParagraphStyle(
            "header", fontName=FONT_BOLD, fontSize=7, leading=8, textColor=colors.white
        )
        self.header_right = ParagraphStyle("header_right", parent=self.header, alignment=TA_RIGHT)
        self.legal = ParagraphStyle(
            "legal", parent=self.body, fontSize=6.5, leading=8, textColor=colors.HexColor("#444444")
        )


@lru_cache(maxsize=32)
def _styles_for(brand: BrandStyle) -> _Styles:
    """A brand's styles, built once per worker process (a month-end run renders thousands of
    statements in the same brand)."""
    return _Styles(brand)


@lru_cache(maxsize=32)
def _logo(logo_png: bytes) -> ImageReader:
    """The decoded logo, once per process; each PDF still embeds its own copy."""
    return ImageReader(io.BytesIO(logo_png))


def _subtitle(statement: Statement) -> str:
    return (
        f"{statement.title} · {statement.account.number} · "
        f"{period_label(statement.period_start, statement.period_end)}"
    )


def page_decorations(brand: BrandStyle, styles: _Styles, *, subtitle: str):
    """The branded page of every document: colour band, logo, name, `subtitle`, footer."""
    logo = _logo(brand.logo_png) if brand.logo_png else None

    def draw(canvas, doc):
        canvas.saveState()
        top = PAGE_HEIGHT - MARGIN
        canvas.setFillColor(styles.primary)
        canvas.rect(MARGIN, top - 3 * mm, PAGE_WIDTH - 2 * MARGIN, 3 * mm, stroke=0, fill=1)
        x = MARGIN
        if logo is not None:
            canvas.drawImage(
                logo,
                x,
                top - 17 * mm,
                width=30 * mm,
                height=12 * mm,
                preserveAspectRatio=True,
                anchor="sw",
                mask="auto",
            )
            x += 33 * mm
        canvas.setFont(FONT_BOLD, 13)
        canvas.drawString(x, top - 10 * mm, brand.name)
        canvas.setFont(FONT, 8)
        canvas.setFillColor(styles.text)
        canvas.drawString(x, top - 15 * mm, subtitle)
        canvas.setStrokeColor(styles.accent)
        canvas.setLineWidth(0.8)
        canvas.line(MARGIN, MARGIN + 4 * mm, PAGE_WIDTH - MARGIN, MARGIN + 4 * mm)
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        footer = brand.footer or brand.legal_name or brand.name
        canvas.drawString(MARGIN, 8 * mm, footer[:140])
        canvas.restoreState()

    return draw


def _table(section: Section, styles: _Styles, width: float) -> LongTable:
    col_count = len(section.columns)
    # A header wider than its column wraps (as a paragraph) instead of running into the next.
    room = width / col_count - 4
    header = [
        c.name
        if pdfmetrics.stringWidth(c.name, FONT_BOLD, 7) <= room
        else Paragraph(_escape(c.name), styles.header_right if c.numeric else styles.header)
        for c in section.columns
    ]
    data = [header, *section.rows]
    if section.total:
        data.append(list(section.total))
    table = LongTable(data, repeatRows=1, colWidths=[width / col_count] * col_count)
    commands = [
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, 7),
        ("FONT", (0, 1), (-1, -1), FONT, 7),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), styles.primary),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#DDDDDD")),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
    for index, column in enumerate(section.columns):
        if column.numeric:
            commands.append(("ALIGN", (index, 0), (index, -1), "RIGHT"))
    if section.total:
        commands.append(("FONT", (0, -1), (-1, -1), FONT_BOLD, 7))
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.6, styles.accent))
    table.setStyle(TableStyle(commands))
    return table


def _nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """About `count` + 1 round tick values covering [low, high] (steps of 1, 2, 2.5 or 5 times a
    power of ten)."""
    if high <= low:
        low, high = low - 1, high + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = [first]
    while ticks[-1] < high:
        ticks.append(first + len(ticks) * step)
    return ticks


def _nav_chart(statement: Statement, styles: _Styles, width: float) -> Drawing | None:
    """The NAV over the period as a line with value and date axes, drawn from plain shapes
    (a line-plot widget costs several times as much per statement for the same picture)."""
    points = statement.nav_history
    if len(points) < 2:
        return None
    drawing = Drawing(width, 55 * mm)
    drawing.add(String(0, 50 * mm, "Net asset value", fontName=FONT_BOLD, fontSize=8))
    left, bottom = 12 * mm, 8 * mm
    plot_width, plot_height = width - 16 * mm, 38 * mm
    start = points[0].date.toordinal()
    days = max(points[-1].date.toordinal() - start, 1)
    values = [float(p.nav) for p in points]
    ticks = _nice_ticks(min(values), max(values))
    low, span = ticks[0], (ticks[-1] - ticks[0]) or 1.0
    grey = colors.HexColor("#555555")

    def x_of(day: int) -> float:
        return left + plot_width * day / days

    def y_of(value: float) -> float:
        return bottom + plot_height * (value - low) / span

    axes = Group(
        Line(left, bottom, left + plot_width, bottom, strokeColor=grey, strokeWidth=0.5),
        Line(left, bottom, left, bottom + plot_height, strokeColor=grey, strokeWidth=0.5),
    )
    for value in ticks:
        y = y_of(value)
        axes.add(Line(left - 2, y, left, y, strokeColor=grey, strokeWidth=0.5))
        axes.add(
            String(left - 3, y - 2, f"{value:,.0f}", fontName=FONT, fontSize=6, textAnchor="end")
        )
    step = max(1, math.ceil(days / 6))
    for day in range(0, days + 1, step):
        x = x_of(day)
        label = points[0].date.fromordinal(start + day).strftime("%d %b")
        axes.add(Line(x, bottom, x, bottom - 2, strokeColor=grey, strokeWidth=0.5))
        axes.add(String(x, bottom - 8, label, fontName=FONT, fontSize=6, textAnchor="middle"))
    drawing.add(axes)
    coordinates: list[float] = []
    for point, value in zip(points, values, strict=True):
        coordinates += (x_of(point.date.toordinal() - start), y_of(value))
    drawing.add(
        PolyLine(
            coordinates,
            strokeColor=styles.primary,
            strokeWidth=1.2,
            strokeLineJoin=1,
            fillColor=None,
        )
    )
    return drawing


def _allocation_chart(statement: Statement, width: float) -> Drawing | None:
    """The market value by asset class as a pie with a legend, drawn from plain shapes."""
    allocation = allocation_by_asset_class(statement.positions, statement.cash)
    if not allocation:
        return None
    drawing = Drawing(width, 50 * mm)
    drawing.add(String(0, 45 * mm, "Allocation by asset class", fontName=FONT_BOLD, fontSize=8))
    centre_x, centre_y, radius = 29 * mm, 22 * mm, 19 * mm
    total = sum((value for _, value in allocation), Decimal(0))
    row = min(5 * mm, 36 * mm / len(allocation))
    angle = 90.0  # clockwise from twelve o'clock, largest class first
    for index, (name, value) in enumerate(allocation):
        colour = PIE_FILLS[index % len(PIE_FILLS)]
        sweep = 360.0 * float(value / total)
        if sweep >= 360.0:
            slice_ = Circle(centre_x, centre_y, radius)
        else:
            slice_ = Wedge(centre_x, centre_y, radius, angle - sweep, angle)
        slice_.fillColor, slice_.strokeColor, slice_.strokeWidth = colour, colors.white, 0.5
        drawing.add(slice_)
        angle -= sweep
        y = 38 * mm - index * row
        drawing.add(Rect(55 * mm, y, 3 * mm, 3 * mm, fillColor=colour, strokeColor=None))
        label = f"{ASSET_CLASS_NAMES.get(name, name)} {value / total:.0%}"
        drawing.add(String(60 * mm, y + 0.6 * mm, label, fontName=FONT, fontSize=7))
    return drawing


def branded_pdf(
    brand: BrandStyle,
    styles: _Styles,
    *,
    template: str,
    title: str,
    subject: str,
    subtitle: str,
    story_for,
) -> bytes:
    """An A4 document in the brand: header and footer on every page ("page x of y"), the body
    from `story_for(body width)`, then the brand's disclosures. Returns the PDF's bytes."""
    fonts_register()
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_HEIGHT,
        bottomMargin=MARGIN + FOOTER_HEIGHT,
        title=title,
        author=brand.legal_name or brand.name,
        subject=subject,
        invariant=True,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates(
        [PageTemplate(template, [frame], onPage=page_decorations(brand, styles, subtitle=subtitle))]
    )
    story = story_for(doc.width)
    doc.build(story, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()


def disclosures(brand: BrandStyle, styles: _Styles) -> list:
    """The brand's legal texts under a "Disclosures" heading (nothing if it has none)."""
    if not brand.legal_texts:
        return []
    story: list = [CondPageBreak(40 * mm), Paragraph("Disclosures", styles.heading)]
    for text in brand.legal_texts:
        story.append(Paragraph(_escape(text), styles.legal))
        story.append(Spacer(1, 1.5 * mm))
    return story


def statement_pdf(statement: Statement, brand: BrandStyle) -> bytes:
    """Renders the statement; returns the PDF's bytes."""
    styles = _styles_for(brand)

    def story_for(width: float) -> list:
        story: list = []
        for section in statement_sections(statement):
            if not section.rows and section.key in (
                "trades",
                "cash_transactions",
                "open_positions",
            ):
                story.append(Paragraph(section.title, styles.heading))
                story.append(Paragraph("None in this period.", styles.body))
                continue
            story.append(CondPageBreak(30 * mm))
            story.append(Paragraph(section.title, styles.heading))
            story.append(_table(section, styles, width))
            if section.key == "performance":
                charts = [
                    c
                    for c in (
                        _nav_chart(statement, styles, width),
                        _allocation_chart(statement, width),
                    )
                    if c is not None
                ]
                for chart in charts:
                    story.append(Spacer(1, 3 * mm))
                    story.append(KeepTogether(chart))
        story.extend(disclosures(brand, styles))
        story.append(Spacer(1, 4 * mm))
        story.append(
            Paragraph(
                _escape(
                    f"Generated {statement.generated_at:%Y-%m-%d %H:%M} UTC. Ending value "
                    f"{money(statement.nav_change.ending_value)} "
                    f"{statement.account.base_currency}."
                ),
                styles.legal,
            )
        )
        return story

    return branded_pdf(
        brand,
        styles,
        template="statement",
        title=f"{statement.title} {statement.account.number}",
        subject=period_label(statement.period_start, statement.period_end),
        subtitle=_subtitle(statement),
        story_for=story_for,
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
