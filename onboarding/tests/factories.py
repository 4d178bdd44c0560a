"""Test data for onboarding: complete application fields, staff of each role, documents."""

import datetime as dt
import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from tenants.roles import roles_ensure

_counter = itertools.count(1)

# Smallest valid files of each accepted kind (magic bytes + a little body).
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


# Valid US SSNs (stdnum checks area/group/serial ranges) for distinct applicants.
def ssn(n: int) -> str:
    return f"536-{10 + n // 9000 % 89:02d}-{1000 + n % 9000:04d}"


def application_data(**overrides) -> dict:
    n = next(_counter)
    data = {
        "applicant_type": "individual",
        "first_name": "Ada",
        "last_name": f"Lovelace{n}",
        "date_of_birth": "1985-12-10",
        "citizenship": "US",
        "tax_residency": "US",
        "tax_id": ssn(n),
        "email": f"ada{n}@example.com",
        "phone": "+1 202 555 0143",
        "address_line1": "1 Main Street",
        "city": "Springfield",
        "postal_code": "62701",
        "country": "US",
        "employment_status": "employed",
        "employer": "Analytical Engines",
        "annual_income": "120000",
        "net_worth": "500000",
        "liquid_net_worth": "250000",
        "objectives": "growth;income",
        "experience": "stocks:5",
        "trading_permissions": "stocks",
        "base_currency": "USD",
        "margin_type": "cash",
        "disclosures_version": "2026-01",
    }
    data.update(overrides)
    return data


def staff_user(role: str, *, username: str | None = None):
    groups = roles_ensure()
    n = next(_counter)
    user = get_user_model().objects.create(
        username=username or f"{role.split('/')[0].lower().replace(' ', '.')}{n}@firm.test",
        email=username or f"staff{n}@firm.test",
        is_staff=True,
    )
    user.groups.add(groups[role])
    return user


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def group(name: str) -> Group:
    return roles_ensure()[name]


def adult_birthday(years: int = 30) -> str:
    today = dt.date.today()  # noqa: DTZ011 - a calendar date for test data
    return today.replace(year=today.year - years).isoformat()
