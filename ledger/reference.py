"""Reference-data checks: ISO 4217 currencies (pycountry); ISINs, CUSIPs and FIGIs with their
check digits (python-stdnum)."""

import pycountry
from django.core.exceptions import ValidationError
from stdnum import cusip as stdnum_cusip
from stdnum import figi as stdnum_figi
from stdnum import isin as stdnum_isin


def validate_currency(code: str) -> None:
    if pycountry.currencies.get(alpha_3=code or "") is None:
        raise ValidationError(f"{code!r} is not an ISO 4217 currency code.")


def validate_isin(value: str) -> None:
    if value and not stdnum_isin.is_valid(value):
        raise ValidationError(f"{value!r} is not a valid ISIN.")


def validate_cusip(value: str) -> None:
    if value and not stdnum_cusip.is_valid(value):
        raise ValidationError(f"{value!r} is not a valid CUSIP.")


def validate_figi(value: str) -> None:
    if value and not stdnum_figi.is_valid(value):
        raise ValidationError(f"{value!r} is not a valid FIGI.")
