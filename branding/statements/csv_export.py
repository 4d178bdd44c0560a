"""A statement as one sectioned CSV file; no Django here.

Layout (the same one IBKR's CSV activity statements use, so spreadsheets and scripts written for
those read it):

    <Section title>,Header,<column 1>,<column 2>,...
    <Section title>,Data,<value 1>,<value 2>,...
    <Section title>,Total,<value 1>,...          (only where the section has a total)

Sections come in the order of `layout.statement_sections()`: Statement, Account Information,
Change in NAV, Performance, Cash Report, Open Positions, Trades, Cash Transactions, then
Disclosures. Numbers are plain decimals (`-1234.5`: no thousands separators, `.` as the decimal
point); dates are ISO 8601; percentages are written with a `%` sign. A text cell that a
spreadsheet would run as a formula (an account title `=HYPERLINK(…)`) gets a leading `'`
(`brokerportal.csvsafe`). UTF-8 with a byte-order mark, so spreadsheet programs open names such
as "Zoë Łukasiewicz" correctly.
"""

from __future__ import annotations

import io

from branding.statements.layout import PLAIN, BrandStyle, Statement, statement_sections
from brokerportal import csvsafe


def statement_csv(statement: Statement, brand: BrandStyle) -> bytes:
    """Renders the statement as UTF-8 (with BOM) CSV bytes."""
    text = io.StringIO()
    writer = csvsafe.writer(text, lineterminator="\r\n")
    writer.writerow(["Statement", "Header", "Field", "Value"])
    writer.writerow(["Statement", "Data", "Title", statement.title])
    writer.writerow(["Statement", "Data", "Broker", brand.legal_name or brand.name])
    writer.writerow(["Statement", "Data", "Period", statement.period_kind])
    writer.writerow(["Statement", "Data", "From", statement.period_start.isoformat()])
    writer.writerow(["Statement", "Data", "To", statement.period_end.isoformat()])
    writer.writerow(["Statement", "Data", "Generated", statement.generated_at.isoformat()])
    for section in statement_sections(statement, PLAIN):
        writer.writerow([section.title, "Header", *(c.name for c in section.columns)])
        for row in section.rows:
            writer.writerow([section.title, "Data", *row])
        if section.total:
            writer.writerow([section.title, "Total", *section.total])
    if brand.legal_texts:
        writer.writerow(["Disclosures", "Header", "Text"])
        for legal in brand.legal_texts:
            writer.writerow(["Disclosures", "Data", legal])
    return ("\ufeff" + text.getvalue()).encode("utf-8")
