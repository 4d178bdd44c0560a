"""The dashboard's allocation ring: its slices and its text alternative."""

import re
from decimal import Decimal

from clientportal.charts import donut_svg
from clientportal.selectors import PortalValuation, PositionRow, allocation_by_asset_class
from ledger.domain.valuation import PositionValue, Valuation


def _row(cls: str, value: str) -> PositionRow:
    v = Decimal(value)
    return PositionRow("U1", PositionValue("S", cls, Decimal(1), v, v, v, Decimal(0), Decimal(0)))


def test_allocation_includes_cash_and_the_text_names_every_share():
    # given 27,000 of stock, -3,000 of a short ETF and 70,000 of cash
    valuation = PortalValuation(
        total=Valuation(base_currency="USD", cash=Decimal(70000)),
        positions=[_row("STK", "27000"), _row("ETF", "-3000")],
    )
    # when
    allocation = allocation_by_asset_class(valuation)
    svg = donut_svg([(k, float(v)) for k, v in allocation], title="Allocation")
    # then: cash first, short positions by their absolute value, one path per slice
    assert allocation == [
        ("CASH", Decimal(70000)),
        ("STK", Decimal(27000)),
        ("ETF", Decimal(3000)),
    ]
    assert 'aria-label="Allocation: CASH 70%, STK 27%, ETF 3%"' in svg
    assert len(re.findall(r"<path ", svg)) == 3


def test_a_single_class_is_a_full_ring():
    svg = donut_svg([("Cash", 10.0)], title="Allocation")
    assert "<circle " in svg and "<path " not in svg
    assert "Cash 100%" in svg
