"""The sectioned CSV: documented layout, plain numbers, UTF-8 names."""

import csv
import io

from branding.statements.csv_export import statement_csv
from tests.support.statements import BRAND, statement_make


def test_csv_sections_headers_data_and_totals():
    # given
    data = statement_csv(statement_make(trades=4), BRAND)
    # when
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    # then
    sections = []
    for row in rows:
        if row[0] not in sections:
            sections.append(row[0])
    assert sections == [
        "Statement",
        "Account Information",
        "Change in NAV (USD)",
        "Performance",
        "Cash Report",
        "Open Positions",
        "Trades",
        "Cash Transactions",
        "Disclosures",
    ]
    assert ["Account Information", "Data", "Name", "Zoë Łukasiewicz"] in rows
    assert ["Change in NAV (USD)", "Data", "Ending value", "105234.56"] in rows
    trades = [r for r in rows if r[0] == "Trades"]
    assert trades[0][:5] == ["Trades", "Header", "Date", "Symbol", "Side"]
    assert len([r for r in trades if r[1] == "Data"]) == 4
    assert [
        "Open Positions",
        "Total",
        "Total",
        "",
        "",
        "USD",
        "",
        "",
        "23525",
        "22600",
        "925",
    ] in rows
