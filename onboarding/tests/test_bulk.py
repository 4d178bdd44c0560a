"""Bulk import: every error named, nothing created on a bad file, idempotent re-upload."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.models import AuditRecord
from onboarding.models import Application, ApplicationTransition, BulkImport
from onboarding.services import bulk_import
from onboarding.validation import ALL_FIELDS
from tenants.roles import ONBOARDING_OFFICER

from .factories import application_data, staff_user

pytestmark = pytest.mark.django_db
COLUMNS = list(dict.fromkeys(["external_id", *ALL_FIELDS]))
NS = "urn:brokerportal:onboarding:applications:1"


@pytest.fixture
def officer(in_tenant_a):
    return staff_user(ONBOARDING_OFFICER)


def csv_file(rows, *, columns=COLUMNS, name="apps.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode())


def rows(count, prefix="EXT"):
    return [application_data(external_id=f"{prefix}-{i}") for i in range(count)]


def xml_file(body: str, name="apps.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body.encode())


def xml_application(external_id: str, **overrides) -> str:
    data = application_data(**overrides)
    return f"""<application>
    <externalId>{external_id}</externalId><applicantType>individual</applicantType>
    <firstName>{data["first_name"]}</firstName><lastName>{data["last_name"]}</lastName>
    <dateOfBirth>{data["date_of_birth"]}</dateOfBirth><citizenship>US</citizenship>
    <taxResidency>US</taxResidency><taxId>{data["tax_id"]}</taxId><email>{data["email"]}</email>
    <phone>{data["phone"]}</phone><addressLine1>1 Main Street</addressLine1>
    <city>Springfield</city><postalCode>62701</postalCode><country>US</country>
    <employmentStatus>employed</employmentStatus><annualIncome>1000.00</annualIncome>
    <netWorth>5000</netWorth><liquidNetWorth>2500</liquidNetWorth>
    <objectives><objective>growth</objective></objectives>
    <experience><assetClass name="stocks" years="4"/></experience>
    <tradingPermissions><permission>stocks</permission></tradingPermissions>
    <baseCurrency>USD</baseCurrency><marginType>cash</marginType>
    <disclosuresVersion>2026-01</disclosuresVersion>
  </application>"""


def xml_document(*applications: str) -> str:
    return (
        f'<?xml version="1.0"?>\n<applications xmlns="{NS}">{"".join(applications)}</applications>'
    )


def _nothing_created(bulk):
    assert bulk.status == BulkImport.Status.REFUSED
    assert Application.objects.count() == 0
    assert ApplicationTransition.objects.count() == 0
    assert AuditRecord.objects.filter(action="application.bulk_refused").count() == 1


def test_csv_import_creates_submitted_applications_and_a_report(officer):
    # given a clean CSV of three applications
    upload = csv_file(rows(3))
    # when imported
    bulk = bulk_import(actor=officer, upload=upload)
    # then three submitted applications exist, with checks run, and the report names them
    assert (bulk.status, bulk.rows, bulk.created, bulk.existing) == ("imported", 3, 3, 0)
    applications = list(Application.objects.order_by("external_id"))
    assert [a.external_id for a in applications] == ["EXT-0", "EXT-1", "EXT-2"]
    assert {a.state for a in applications} == {"submitted"}
    assert all(a.checks["documents"]["passed"] is False for a in applications)
    report = list(csv.reader(io.StringIO(bulk.report_csv)))
    assert report[0] == ["locator", "external_id", "result", "application_id", "failed_checks"]
    assert report[1] == ["row 2", "EXT-0", "created", str(applications[0].pk), "documents"]
    assert ApplicationTransition.objects.filter(to_state="submitted").count() == 3


def test_same_file_twice_creates_nothing_new(officer):
    # given a file already imported
    content = csv_file(rows(4)).read()
    first = bulk_import(actor=officer, upload=SimpleUploadedFile("a.csv", content))
    ids = sorted(Application.objects.values_list("pk", flat=True))
    # when uploaded again
    second = bulk_import(actor=officer, upload=SimpleUploadedFile("a.csv", content))
    # then nothing new exists and the report says so
    assert (first.created, second.created, second.existing) == (4, 0, 4)
    assert sorted(Application.objects.values_list("pk", flat=True)) == ids
    assert [line.split(",")[2] for line in second.report_csv.splitlines()[1:]] == ["exists"] * 4


def test_wrong_columns_are_refused(officer):
    columns = [c for c in COLUMNS if c != "tax_id"] + ["shoe_size"]
    bulk = bulk_import(actor=officer, upload=csv_file(rows(2), columns=columns))
    assert bulk.errors == ["Unknown column(s): shoe_size.", "Missing column(s): tax_id."]
    _nothing_created(bulk)


def test_every_bad_value_is_named_by_row(officer):
    # given two good rows, one with a bad date and one with a bad phone and a repeated id
    data = rows(2)
    data.append(application_data(external_id="EXT-9", date_of_birth="1980-02-30"))
    data.append(application_data(external_id="EXT-0", phone="12"))
    # when imported
    bulk = bulk_import(actor=officer, upload=csv_file(data))
    # then every error is named and nothing is created
    assert bulk.errors == [
        "row 4: date_of_birth is not a date (YYYY-MM-DD)",
        "row 5: phone is not a valid phone number",
        "row 5: external_id EXT-0 repeats row 2",
    ]
    _nothing_created(bulk)


def test_xml_import_validates_against_the_xsd(officer):
    bulk = bulk_import(
        actor=officer,
        upload=xml_file(xml_document(xml_application("X-1"), xml_application("X-2"))),
    )
    assert (bulk.status, bulk.file_format, bulk.created) == ("imported", "xml", 2)
    app = Application.objects.get(external_id="X-1")
    assert app.experience == {"stocks": 4} and app.objectives == ["growth"]


def test_xml_bad_date_is_named_by_line(officer):
    bad = xml_application("X-3", date_of_birth="1980-13-01")
    bulk = bulk_import(actor=officer, upload=xml_file(xml_document(bad)))
    assert bulk.errors == [
        "line 5: Element '{urn:brokerportal:onboarding:applications:1}dateOfBirth': "
        "'1980-13-01' is not a valid value of the atomic type 'xs:date'."
    ]
    _nothing_created(bulk)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<applications xmlns="urn:brokerportal:onboarding:applications:1">&lol4;</applications>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE applications [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<applications xmlns="urn:brokerportal:onboarding:applications:1">
<application><externalId>&xxe;</externalId></application></applications>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["bomb", "xxe"])
def test_xml_entities_and_doctype_are_refused(officer, body):
    bulk = bulk_import(actor=officer, upload=xml_file(body))
    assert bulk.errors == [
        "The XML declares a DOCTYPE or entities; these are refused (no DTDs, no entities)."
    ]
    _nothing_created(bulk)


def test_50_mb_file_is_refused(officer):
    # given a 50 MB file
    header = ",".join(COLUMNS).encode() + b"\n"
    big = SimpleUploadedFile("big.csv", header + b"x" * (50 * 1024 * 1024))
    # when imported
    bulk = bulk_import(actor=officer, upload=big)
    # then it is refused by size before being read
    assert bulk.errors == ["The file is larger than 20 MB; split it."]
    _nothing_created(bulk)


def test_report_cells_from_the_file_cannot_become_spreadsheet_formulas(officer):
    bulk = bulk_import(actor=officer, upload=csv_file([application_data(external_id="=1+2")]))
    assert bulk.report_csv.splitlines()[1].split(",")[:3] == ["row 2", "'=1+2", "created"]
