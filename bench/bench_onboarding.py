"""Bulk onboarding: 10,000 applications from one CSV file (and one XML file), parsing, field
validation (tax ids, phones, countries), the automatic checks against a 1,000-name watch list,
and creation, as the Broker Portal's bulk upload does it."""

import csv
import io
import time

FIGURES = ("onboarding_bulk_10k_s", "onboarding_bulk_10k_xml_s", "onboarding_bulk_10k_rerun_s")
COUNT = 10_000
WATCHLIST = 1_000
FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia", "Ken")


def _row(index: int, prefix: str) -> dict:
    return {
        "external_id": f"{prefix}-{index:06d}",
        "applicant_type": "individual",
        "first_name": FIRST[index % len(FIRST)],
        "last_name": f"Bench{index:06d}",
        "date_of_birth": f"{1950 + index % 50}-{1 + index % 12:02d}-{1 + index % 28:02d}",
        "citizenship": "US",
        "tax_residency": "US",
        "tax_id": f"536-{10 + index // 9000 % 89:02d}-{1000 + index % 9000:04d}",
        "email": f"{prefix.lower()}{index}@bench.example",
        "phone": f"+1 202 555 {index % 10000:04d}",
        "address_line1": f"{index} Main Street",
        "city": "Springfield",
        "postal_code": "62701",
        "country": "US",
        "employment_status": "employed",
        "annual_income": "85000",
        "net_worth": "400000",
        "liquid_net_worth": "150000",
        "objectives": "growth;income",
        "experience": "stocks:5;options:2",
        "trading_permissions": "stocks;options",
        "base_currency": "USD",
        "margin_type": "cash",
        "disclosures_version": "2026-01",
    }


def _csv(prefix: str) -> bytes:
    rows = [_row(i, prefix) for i in range(COUNT)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _xml(prefix: str) -> bytes:
    from lxml import etree

    from onboarding.bulkfiles import NAMESPACE

    def camel(name):
        head, *rest = name.split("_")
        return head + "".join(p.capitalize() for p in rest)

    root = etree.Element(f"{{{NAMESPACE}}}applications", nsmap={None: NAMESPACE})
    for index in range(COUNT):
        row = _row(index, prefix)
        element = etree.SubElement(root, f"{{{NAMESPACE}}}application")
        for name, value in row.items():
            if name in ("objectives", "experience", "trading_permissions"):
                continue
            etree.SubElement(element, f"{{{NAMESPACE}}}{camel(name)}").text = value
        objectives = etree.SubElement(element, f"{{{NAMESPACE}}}objectives")
        for objective in row["objectives"].split(";"):
            etree.SubElement(objectives, f"{{{NAMESPACE}}}objective").text = objective
        permissions = etree.SubElement(element, f"{{{NAMESPACE}}}tradingPermissions")
        for permission in row["trading_permissions"].split(";"):
            etree.SubElement(permissions, f"{{{NAMESPACE}}}permission").text = permission
        experience = etree.SubElement(element, f"{{{NAMESPACE}}}experience")
        for pair in row["experience"].split(";"):
            asset, years = pair.split(":")
            etree.SubElement(experience, f"{{{NAMESPACE}}}assetClass", name=asset, years=years)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _timed_import(officer, name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from onboarding.services import bulk_import

    started = time.perf_counter()
    result = bulk_import(actor=officer, upload=SimpleUploadedFile(name, data))
    elapsed = time.perf_counter() - started
    if result.status != "imported":
        raise RuntimeError(f"bench import refused: {result.errors[:5]}")
    return elapsed, result


def run() -> dict[str, float]:
    from django.db import connection
    from django_tenants.utils import tenant_context

    from onboarding.models import Application
    from onboarding.services import watchlist_replace
    from tenants.roles import COMPLIANCE_OFFICER, ONBOARDING_OFFICER
    from tenants.services import tenant_provision

    tenant = tenant_provision(
        name="Bench Onboarding",
        schema_name="bench_onboarding",
        domain="bench-onboarding.test",
        security_officer_email="so@bench-onboarding.test",
    )
    with tenant_context(tenant):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        user_model = get_user_model()
        officer = user_model.objects.create(username="officer@bench.test", is_staff=True)
        officer.groups.add(Group.objects.get(name=ONBOARDING_OFFICER))
        officer.groups.add(Group.objects.get(name=COMPLIANCE_OFFICER))
        watchlist = "name,date_of_birth\n" + "".join(
            f"Listed Person{i:04d},19{40 + i % 60}-01-01\n" for i in range(WATCHLIST)
        )
        watchlist_replace(actor=officer, data=watchlist.encode(), source="bench")

        csv_seconds, first = _timed_import(officer, "bench.csv", _csv("CSV"))
        rerun_seconds, again = _timed_import(officer, "bench.csv", _csv("CSV"))
        xml_seconds, from_xml = _timed_import(officer, "bench.xml", _xml("XML"))
        assert (first.created, again.created, again.existing, from_xml.created) == (
            COUNT,
            0,
            COUNT,
            COUNT,
        )
        assert Application.objects.count() == 2 * COUNT
    connection.set_schema_to_public()
    return {
        "onboarding_bulk_10k_s": round(csv_seconds, 2),
        "onboarding_bulk_10k_xml_s": round(xml_seconds, 2),
        "onboarding_bulk_10k_rerun_s": round(rerun_seconds, 2),
    }
