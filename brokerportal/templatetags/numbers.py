"""One filter for every number a page shows: `{{ value|number:"price" }}`.

- `price`: at least 2 decimals, more only when the price has them (up to 6): 31.88, 10.125,
  0.004375; never "31.8800000000" or an exponent.
- `quantity`: whole quantities without decimals, fractions as far as they go (up to 8):
  50, 0.5, 12.125; never "5E+1".
- `money`: 2 decimals; `weight`: a group member's value (percentages, ratios) as `quantity`;
  `abs-<kind>`: the same without the sign ("Sold 50").
All with thousands separators; an empty value shows as "".
"""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

PLACES = {"price": (2, 6), "quantity": (0, 8), "weight": (0, 8), "money": (2, 2)}


def number_format(value, kind: str = "quantity") -> str:
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if kind.startswith("abs-"):
        number, kind = abs(number), kind.removeprefix("abs-")
    least, most = PLACES.get(kind, PLACES["quantity"])
    rounded = number.quantize(Decimal(1).scaleb(-most))
    exponent = -rounded.normalize().as_tuple().exponent
    places = min(max(least, exponent), most)
    return f"{rounded:,.{places}f}"


@register.filter
def number(value, kind: str = "quantity") -> str:
    return number_format(value, kind)
