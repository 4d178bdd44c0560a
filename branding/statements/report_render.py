"""Branded reports other than the activity statement (trade confirmations, realized gains and
losses, performance) as PDF and CSV; no Django here.

A `Report` is a title, the subject line of its page header, and titled tables (`layout.Section`)
already formatted for the target (people or programs). The PDF is set exactly like the activity
statement: the brand's colour band, logo and name on every page, its footer and "Page x of y" at
the bottom, the embedded Roboto font, tables split across pages with their header row repeated.

CSV layout (the sectioned layout of `csv_export`):

    Report,Header,Field,Value
    Report,Data,Title,<title>
    Report,Data,Broker,<the tenant's legal name>
    Report,Data,Generated,<ISO 8601 timestamp>
    <Section title>,Header,<column 1>,<column 2>,...
    <Section title>,Data,<value 1>,<value 2>,...
    <Section title>,Total,<value 1>,...          (only where the section has a total)
    Notes,Header,Text / Notes,Data,<text>        (only where the report has notes)
    Disclosures,Header,Text / Disclosures,Data,<text>

UTF-8 with a byte-order mark; numbers are plain decimals, dates ISO 8601. Each report module
documents its sections' columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    LongTable,
    Paragraph,
    Spacer,
    TableStyle,
)

from branding.statements.layout import BrandStyle, Section

# The statement's own font, brand styles and branded page frame, so that reports look exactly
# like it.
from branding.statements.pdf import (
    FONT,
    FONT_BOLD,
    _escape,
    _Styles,
    branded_pdf,
    disclosures,
)
from brokerportal import csvsafe

PAGE_WIDTH, PAGE_HEIGHT = A4
CELL_FONT_SIZE = 7
CELL_PADDING = 4  # left + right, points


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars (label, value as a fraction), with an optional reference line such as a
    benchmark's return."""

    title: str
    bars: tuple[tuple[str, Decimal], ...]
    reference_label: str = ""
    reference: Decimal | None = None


@dataclass(frozen=True)
class Report:
    kind: str  # confirmation, realized_gains, performance: also the download's file name part
    title: str
    subject: str  # the page header's second line: account and date or period
    generated_at: dt.datetime
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()
    chart: BarChart | None = None
    chart_after: str = ""  # the key of the section the chart follows (default: the first)
    empty_text: str = "None."


# --- PDF ----------------------------------------------------------------------------------------


def column_widths(section: Section, width: float, *, sample: int = 400) -> list[float]:
    """Widths from the widest text of each column (header and the first `sample` rows, plus the
    total), scaled to fill `width`: a confirmation's twelve columns fit a portrait page."""
    cells = [[c.name for c in section.columns], *section.rows[:sample]]
    if section.total:
        cells.append(section.total)
    natural = [
        max(pdfmetrics.stringWidth(str(row[i]), FONT, CELL_FONT_SIZE) for row in cells)
        + CELL_PADDING
        + 2
        for i in range(len(section.columns))
    ]
    # A header may wrap onto two lines; the data decides the width when it is narrower.
    natural = [
        max(
            w,
            min(
                pdfmetrics.stringWidth(c.name, FONT_BOLD, CELL_FONT_SIZE) + CELL_PADDING,
                w * 1.6,
            ),
        )
        for w, c in zip(natural, section.columns, strict=True)
    ]
    scale = width / sum(natural)
    return [w * scale for w in natural]


def _table(section: Section, styles: _Styles, width: float) -> LongTable:
    widths = column_widths(section, width)
    header = [
        c.name
        if pdfmetrics.stringWidth(c.name, FONT_BOLD, CELL_FONT_SIZE) <= w - CELL_PADDING
        else Paragraph(_escape(c.name), styles.header_right if c.numeric else styles.header)
        for c, w in zip(section.columns, widths, strict=True)
    ]
    data = [header, *section.rows]
    if section.total:
        data.append(list(section.total))
    table = LongTable(data, repeatRows=1, colWidths=widths)
    commands = [
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, CELL_FONT_SIZE),
        ("FONT", (0, 1), (-1, -1), FONT, CELL_FONT_SIZE),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), styles.primary),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#DDDDDD")),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING / 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING / 2),
    ]
    for index, column in enumerate(section.columns):
        if column.numeric:
            commands.append(("ALIGN", (index, 0), (index, -1), "RIGHT"))
    if section.total:
        commands.append(("FONT", (0, -1), (-1, -1), FONT_BOLD, CELL_FONT_SIZE))
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.6, styles.accent))
    table.setStyle(TableStyle(commands))
    return table


def _bar_chart(chart: BarChart, styles: _Styles, width: float) -> Drawing | None:
    if not chart.bars:
        return None
    row = 6 * mm
    height = row * len(chart.bars) + 22 * mm
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 5 * mm, chart.title, fontName=FONT_BOLD, fontSize=8))
    bars = HorizontalBarChart()
    bars.x, bars.y = 28 * mm, 10 * mm
    bars.width, bars.height = width - 34 * mm, row * len(chart.bars)
    # Top-down in the given order (ReportLab draws the first category at the bottom).
    ordered = list(reversed(chart.bars))
    values = [float(value) * 100 for _, value in ordered]
    bars.data = [values]
    bars.categoryAxis.categoryNames = [label for label, _ in ordered]
    bars.categoryAxis.labels.fontName = FONT
    bars.categoryAxis.labels.fontSize = 6
    bars.valueAxis.labels.fontName = FONT
    bars.valueAxis.labels.fontSize = 6
    bars.valueAxis.labelTextFormat = "{:.1f}%".format
    reference = None if chart.reference is None else float(chart.reference) * 100
    low = min([0.0, *values, reference or 0.0])
    high = max([0.0, *values, reference or 0.0])
    span = (high - low) or 1.0
    low, high = low - span * 0.05, high + span * 0.05
    bars.valueAxis.valueMin, bars.valueAxis.valueMax = low, high
    bars.categoryAxis.joinAxisMode = "left"  # names left of the plot, whatever the sign
    bars.bars[0].fillColor = styles.primary
    bars.bars[0].strokeWidth = 0
    drawing.add(bars)
    if reference is not None:
        x = bars.x + (reference - low) / (high - low) * bars.width
        drawing.add(Line(x, bars.y, x, bars.y + bars.height, strokeColor=styles.accent))
        drawing.add(
            String(
                x,
                bars.y + bars.height + 2,
                f"{chart.reference_label} {reference:.2f}%",
                fontName=FONT,
                fontSize=6,
                fillColor=styles.accent,
                textAnchor="middle",
            )
        )
    return drawing


def report_pdf(report: Report, brand: BrandStyle) -> bytes:
    """Renders the report in the brand; returns the PDF's bytes."""
    styles = _Styles(brand)

    def story_for(width: float) -> list:
        story: list = []
        for index, section in enumerate(report.sections):
            story.append(CondPageBreak(30 * mm))
            story.append(Paragraph(_escape(section.title), styles.heading))
            if not section.rows:
                story.append(Paragraph(_escape(report.empty_text), styles.body))
                continue
            story.append(_table(section, styles, width))
            if report.chart is not None and (
                section.key == report.chart_after or (index == 0 and not report.chart_after)
            ):
                drawing = _bar_chart(report.chart, styles, width)
                if drawing is not None:
                    story.append(Spacer(1, 3 * mm))
                    story.append(KeepTogether(drawing))
        for note in report.notes:
            story.append(Spacer(1, 2 * mm))
            story.append(Paragraph(_escape(note), styles.legal))
        story.extend(disclosures(brand, styles))
        story.append(Spacer(1, 4 * mm))
        story.append(
            Paragraph(_escape(f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC."), styles.legal)
        )
        return story

    return branded_pdf(
        brand,
        styles,
        template="report",
        title=f"{report.title} {report.subject}",
        subject=report.subject,
        subtitle=f"{report.title} · {report.subject}",
        story_for=story_for,
    )


# --- CSV ----------------------------------------------------------------------------------------


def report_csv(report: Report, brand: BrandStyle) -> bytes:
    """The report as UTF-8 (with BOM) CSV bytes, in the sectioned layout of the module doc."""
    text = io.StringIO()
    writer = csvsafe.writer(text, lineterminator="\r\n")
    writer.writerow(["Report", "Header", "Field", "Value"])
    writer.writerow(["Report", "Data", "Title", report.title])
    writer.writerow(["Report", "Data", "Broker", brand.legal_name or brand.name])
    writer.writerow(["Report", "Data", "Generated", report.generated_at.isoformat()])
    for section in report.sections:
        writer.writerow([section.title, "Header", *(c.name for c in section.columns)])
        for row in section.rows:
            writer.writerow([section.title, "Data", *row])
        if section.total:
            writer.writerow([section.title, "Total", *section.total])
    for heading, texts in (("Notes", report.notes), ("Disclosures", brand.legal_texts)):
        if texts:
            writer.writerow([heading, "Header", "Text"])
            for line in texts:
                writer.writerow([heading, "Data", line])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def csv_sections(data: bytes) -> dict[str, dict[str, list[list[str]]]]:
    """Reads a sectioned CSV back: section title -> {"Header": [...], "Data": [...], ...}."""
    out: dict[str, dict[str, list[list[str]]]] = {}
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
        if len(row) >= 2:
            out.setdefault(row[0], {}).setdefault(row[1], []).append(row[2:])
    return out


def rows_of(sections: Sequence[Section], key: str) -> Section:
    """The section with `key` (for tests and callers that pick one table)."""
    return next(s for s in sections if s.key == key)
