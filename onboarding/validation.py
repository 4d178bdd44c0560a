"""Field validation of an application, shared by the self-service form, the services and the
bulk import: one function turns raw strings into clean values and names every error by field.

Tax ids are validated with python-stdnum where a validator exists for the tax residency,
phone numbers with phonenumbers, countries and currencies with pycountry.
"""

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation

import phonenumbers
import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from stdnum import util as stdnum_util
from stdnum.exceptions import ValidationError as StdnumError

APPLICANT_TYPES = ("individual", "joint", "ira", "entity")
ASSET_CLASSES = ("stocks", "options", "futures", "forex", "bonds")
OBJECTIVES = ("preservation", "income", "growth", "speculation", "hedging")
EMPLOYMENT_STATUSES = ("employed", "self_employed", "retired", "student", "unemployed")
MARGIN_TYPES = ("cash", "reg_t")
DOCUMENT_KINDS = ("identity", "proof_of_address")

TEXT_FIELDS = {
    "external_id": 64,
    "first_name": 100,
    "middle_name": 100,
    "last_name": 100,
    "entity_name": 200,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "employer": 200,
    "occupation": 100,
    "disclosures_version": 32,
    "master_account": 16,
}
MONEY_FIELDS = ("annual_income", "net_worth", "liquid_net_worth")
COUNTRY_FIELDS = ("citizenship", "tax_residency", "country")
# What a complete application needs before it can be submitted.
REQUIRED_FIELDS = (
    "applicant_type",
    "first_name",
    "last_name",
    "date_of_birth",
    "citizenship",
    "tax_residency",
    "tax_id",
    "email",
    "phone",
    "address_line1",
    "city",
    "postal_code",
    "country",
    "employment_status",
    "annual_income",
    "net_worth",
    "liquid_net_worth",
    "objectives",
    "trading_permissions",
    "base_currency",
    "margin_type",
    "disclosures_version",
)
ALL_FIELDS = tuple(
    dict.fromkeys(
        (
            *REQUIRED_FIELDS,
            *TEXT_FIELDS,
            "experience",
        )
    )
)
# Names of stdnum modules that hold personal or business tax ids, tried in this order.
_TAX_ID_MODULES = (
    "tin",
    "personalid",
    "idnr",
    "ssn",
    "nif",
    "utr",
    "bsn",
    "codicefiscale",
    "sin",
    "tfn",
    "pan",
    "cpf",
    "rfc",
    "pesel",
    "pps",
    "ric",
)


@functools.cache
def tax_id_validators(country: str) -> tuple:
    """The stdnum modules that validate tax ids of `country` (ISO alpha-2); empty if none."""
    modules = []
    for name in _TAX_ID_MODULES:
        try:
            module = stdnum_util.get_cc_module(country.lower(), name)
        except ImportError:
            module = None
        if module is not None and module not in modules:
            modules.append(module)
    return tuple(modules)


def tax_id_clean(value: str, country: str) -> str:
    """The compact tax id, validated for `country` when stdnum knows its format."""
    validators = tax_id_validators(country)
    compact = re.sub(r"[\s\-./]", "", value).upper()
    if not validators:
        if not re.fullmatch(r"[A-Z0-9]{4,20}", compact):
            raise ValueError("is not a tax id (4-20 letters or digits)")
        return compact
    for module in validators:
        try:
            return module.compact(module.validate(value))
        except StdnumError:
            continue
    raise ValueError(f"is not a valid tax id for {country}")


@functools.cache
def country_clean(value: str) -> str:
    text = value.strip()
    country = None
    if len(text) == 2:
        country = pycountry.countries.get(alpha_2=text.upper())
    elif len(text) == 3:
        country = pycountry.countries.get(alpha_3=text.upper())
    if country is None:
        raise ValueError("is not an ISO 3166 country code")
    return country.alpha_2


@functools.cache
def currency_clean(value: str) -> str:
    currency = pycountry.currencies.get(alpha_3=value.strip().upper())
    if currency is None:
        raise ValueError("is not an ISO 4217 currency code")
    return currency.alpha_3


def phone_clean(value: str, country: str | None) -> str:
    try:
        number = phonenumbers.parse(value, country or None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def date_clean(value) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        parsed = dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError("is not a date (YYYY-MM-DD)") from exc
    if parsed.year < 1900:
        raise ValueError("is before 1900")
    return parsed


def money_clean(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError("is not an amount") from exc
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e15"):
        raise ValueError("must be an amount between 0 and 10^15")
    return amount.quantize(Decimal("0.01"))


def choices_clean(value, allowed: tuple[str, ...]) -> list[str]:
    items = value if isinstance(value, list | tuple) else re.split(r"[;,|]", str(value))
    cleaned = [item.strip().lower() for item in items if str(item).strip()]
    unknown = [item for item in cleaned if item not in allowed]
    if unknown:
        raise ValueError(f"has unknown values {', '.join(unknown)} (allowed: {', '.join(allowed)})")
    return list(dict.fromkeys(cleaned))


def experience_clean(value) -> dict[str, int]:
    """`{"options": 2}` or the text form `options:2;stocks:5` (asset class: years)."""
    if isinstance(value, dict):
        pairs = list(value.items())
    else:
        pairs = []
        for part in re.split(r"[;,|]", str(value)):
            if not part.strip():
                continue
            name, sep, years = part.partition(":")
            if not sep:
                raise ValueError("must be asset class:years pairs, e.g. stocks:5;options:2")
            pairs.append((name, years))
    experience = {}
    for name, years in pairs:
        asset = str(name).strip().lower()
        if asset not in ASSET_CLASSES:
            raise ValueError(f"has unknown asset class {asset!r}")
        try:
            count = int(str(years).strip())
        except ValueError as exc:
            raise ValueError(f"has non-numeric years for {asset}") from exc
        if not 0 <= count <= 80:
            raise ValueError(f"has years out of range for {asset}")
        experience[asset] = count
    return experience


def _field_clean(name: str, value, data: dict):
    if name in TEXT_FIELDS:
        text = str(value).strip()
        if len(text) > TEXT_FIELDS[name]:
            raise ValueError(f"is longer than {TEXT_FIELDS[name]} characters")
        return text
    if name == "applicant_type":
        return choices_clean(value, APPLICANT_TYPES)[0]
    if name == "employment_status":
        return choices_clean(value, EMPLOYMENT_STATUSES)[0]
    if name == "margin_type":
        return choices_clean(value, MARGIN_TYPES)[0]
    if name == "date_of_birth":
        return date_clean(value)
    if name in COUNTRY_FIELDS:
        return country_clean(str(value))
    if name == "base_currency":
        return currency_clean(str(value))
    if name == "email":
        email = str(value).strip()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValueError("is not an e-mail address") from exc
        return email
    if name == "phone":
        country = data.get("country")
        try:
            country = country_clean(str(country)) if country else None
        except ValueError:
            country = None
        return phone_clean(str(value), country)
    if name == "tax_id":
        residency = data.get("tax_residency") or data.get("country") or ""
        try:
            residency = country_clean(str(residency))
        except ValueError as exc:
            raise ValueError("cannot be checked without a valid tax residency") from exc
        return tax_id_clean(str(value), residency)
    if name in MONEY_FIELDS:
        return money_clean(value)
    if name == "objectives":
        return choices_clean(value, OBJECTIVES)
    if name == "trading_permissions":
        return choices_clean(value, ASSET_CLASSES)
    if name == "experience":
        return experience_clean(value)
    raise ValueError("is not a field of an application")


def _empty(value) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and not value)


def application_data_clean(data: dict, *, complete: bool = True) -> tuple[dict, dict[str, str]]:
    """Clean raw application fields. Returns (clean values, {field: message}).

    With `complete`, every field of REQUIRED_FIELDS must be present (a submission or an import
    row); without it only the given fields are checked (a draft saved step by step).
    """
    cleaned: dict = {}
    errors: dict[str, str] = {}
    for name, value in data.items():
        if name not in ALL_FIELDS:
            errors[name] = "is not a field of an application"
            continue
        if _empty(value):
            if name in TEXT_FIELDS:
                cleaned[name] = ""
            continue
        try:
            cleaned[name] = _field_clean(name, value, data)
        except ValueError as exc:
            errors[name] = str(exc)
    if complete:
        for name in REQUIRED_FIELDS:
            if name not in cleaned and name not in errors:
                errors[name] = "is required"
        if cleaned.get("applicant_type") == "entity" and not cleaned.get("entity_name"):
            errors.setdefault("entity_name", "is required for an entity")
    liquid, net = cleaned.get("liquid_net_worth"), cleaned.get("net_worth")
    if liquid is not None and net is not None and liquid > net:
        errors.setdefault("liquid_net_worth", "cannot exceed the net worth")
    if cleaned.get("applicant_type") == "ira" and cleaned.get("margin_type") == "reg_t":
        errors.setdefault("margin_type", "an IRA is a cash account")
    return cleaned, errors
