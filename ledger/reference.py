"""Reference-data checks: ISO 4217 currencies (pycountry) and ISINs (python-stdnum)."""

import pycountry
from django.core.exceptions import ValidationError
from stdnum import isin as stdnum_isin


def validate_currency(code: str) -> None:
    if pycountry.currencies.get(alpha_3=code or "") is None:
        raise ValidationError(f"{code!r} is not an ISO 4217 currency code.")


def validate_isin(value: str) -> None:
    if value and not stdnum_isin.is_valid(value):
        raise ValidationError(f"{value!r} is not a valid ISIN.")
