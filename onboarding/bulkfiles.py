"""Reading bulk application files (CSV, XML) into raw field dicts, each with where it came from
("row 3", "application 2 (line 17)"), and naming every structural error.

XML is parsed with entity resolution, DTD loading and network access off and the huge-tree
limits on; a document that declares a DOCTYPE or an entity is refused before parsing, so neither
an entity-expansion bomb nor an external entity is ever looked at.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .validation import ALL_FIELDS, REQUIRED_FIELDS

XSD_PATH = Path(__file__).parent / "schemas" / "applications.xsd"
NAMESPACE = "urn:brokerportal:onboarding:applications:1"
CSV_REQUIRED_COLUMNS = ("external_id", *REQUIRED_FIELDS)
CSV_COLUMNS = tuple(dict.fromkeys(("external_id", *ALL_FIELDS)))
_DOCTYPE_OR_ENTITY = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass
class ParsedFile:
    rows: list[tuple[str, dict]] = field(default_factory=list)  # (locator, raw fields)
    errors: list[str] = field(default_factory=list)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


XML_ELEMENTS = {_camel(name): name for name in CSV_COLUMNS}


def csv_parse(data: bytes) -> ParsedFile:
    parsed = ParsedFile()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        parsed.errors.append("The file is not UTF-8 text.")
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [column.strip() for column in next(reader, [])]
    if not header:
        parsed.errors.append("The file is empty.")
        return parsed
    unknown = [column for column in header if column not in CSV_COLUMNS]
    missing = [column for column in CSV_REQUIRED_COLUMNS if column not in header]
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if unknown:
        parsed.errors.append(f"Unknown column(s): {', '.join(unknown)}.")
    if missing:
        parsed.errors.append(f"Missing column(s): {', '.join(missing)}.")
    if duplicated:
        parsed.errors.append(f"Repeated column(s): {', '.join(duplicated)}.")
    if parsed.errors:
        return parsed
    try:
        for number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                parsed.errors.append(
                    f"row {number}: {len(values)} values for {len(header)} columns."
                )
                continue
            parsed.rows.append((f"row {number}", dict(zip(header, values, strict=True))))
    except csv.Error as exc:
        parsed.errors.append(f"row {reader.line_num}: {exc}.")
    if not parsed.rows and not parsed.errors:
        parsed.errors.append("The file holds no applications.")
    return parsed


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


_schema: etree.XMLSchema | None = None


def xml_schema() -> etree.XMLSchema:
    global _schema  # noqa: PLW0603 - parsed once per process
    if _schema is None:
        _schema = etree.XMLSchema(etree.parse(str(XSD_PATH), _xml_parser()))
    return _schema


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _application_fields(element) -> dict:
    raw: dict = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = _local(child.tag)
        if name == "objectives":
            raw["objectives"] = [(c.text or "").strip() for c in child]
        elif name == "tradingPermissions":
            raw["trading_permissions"] = [(c.text or "").strip() for c in child]
        elif name == "experience":
            raw["experience"] = {c.get("name"): c.get("years") for c in child}
        elif name in XML_ELEMENTS:
            raw[XML_ELEMENTS[name]] = (child.text or "").strip()
    return raw


def xml_parse(data: bytes) -> ParsedFile:
    parsed = ParsedFile()
    if _DOCTYPE_OR_ENTITY.search(data):
        parsed.errors.append(
            "The XML declares a DOCTYPE or entities; these are refused (no DTDs, no entities)."
        )
        return parsed
    try:
        tree = etree.parse(io.BytesIO(data), _xml_parser())
    except etree.XMLSyntaxError as exc:
        parsed.errors.append(f"The file is not well-formed XML: {exc}.")
        return parsed
    if tree.docinfo.doctype:
        parsed.errors.append("The XML declares a DOCTYPE; it is refused.")
        return parsed
    schema = xml_schema()
    if not schema.validate(tree):
        for error in schema.error_log:
            parsed.errors.append(f"line {error.line}: {error.message}")
        return parsed
    for index, element in enumerate(tree.getroot(), start=1):
        if not isinstance(element.tag, str):
            continue
        parsed.rows.append(
            (f"application {index} (line {element.sourceline})", _application_fields(element))
        )
    return parsed


def bulk_file_parse(*, data: bytes, file_name: str) -> tuple[str, ParsedFile]:
    """The format (by the content's first character, then the name) and the parsed rows."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<" or file_name.lower().endswith(".xml"):
        return "xml", xml_parse(data)
    return "csv", csv_parse(data)
