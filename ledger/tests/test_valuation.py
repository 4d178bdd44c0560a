"""Properties of the pure valuation module."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.valuation import (
    CashInput,
    PositionInput,
    account_value,
    consolidate,
    position_value,
)

money = st.decimals(min_value=-(10**6), max_value=10**6, places=2)
price = st.decimals(min_value=Decimal("0.01"), max_value=10**4, places=2)
quantity = st.integers(min_value=-1000, max_value=1000).map(Decimal)
positions = st.lists(
    st.builds(
        PositionInput,
        symbol=st.just("X"),
        asset_class=st.sampled_from(["STK", "ETF", "OPT", "FUT"]),
        quantity=quantity,
        price=price,
        multiplier=st.sampled_from([Decimal(1), Decimal(100)]),
        fx=st.sampled_from([Decimal(1), Decimal("1.25")]),
        cost=money,
    ),
    max_size=8,
)
cash = st.lists(
    st.builds(
        lambda b, fx: CashInput("USD", b, b, b, fx),
        money,
        st.sampled_from([Decimal(1), Decimal("0.8")]),
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(positions, cash, st.sampled_from(["cash", "reg_t"]))
def test_nlv_is_cash_plus_market_value_and_liquidity_is_nlv_less_maintenance(ps, cs, margin):
    # when
    v = account_value(base_currency="USD", margin_type=margin, positions=ps, cash=cs)
    # then
    market = sum((p.quantity * p.price * p.multiplier * p.fx for p in ps), Decimal(0))
    total_cash = sum((c.balance * c.fx for c in cs), Decimal(0))
    assert v.nlv == (market + total_cash).quantize(Decimal("0.00000001"))
    assert v.excess_liquidity == v.nlv - v.maintenance_margin
    assert v.initial_margin >= 0 and v.maintenance_margin >= 0 and v.buying_power >= 0
    if margin == "reg_t":
        assert v.initial_margin >= v.maintenance_margin
        assert v.buying_power == max(Decimal(0), (v.nlv - v.initial_margin) * 2)
    else:
        assert v.buying_power == max(Decimal(0), total_cash.quantize(Decimal("0.00000001")))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(positions, cash), min_size=1, max_size=5))
def test_consolidation_is_the_sum_of_its_parts(accounts):
    # given
    parts = [
        (account_value(base_currency="USD", margin_type="reg_t", positions=p, cash=c), Decimal(1))
        for p, c in accounts
    ]
    # when
    total = consolidate(base_currency="USD", parts=parts)
    # then
    assert total.nlv == sum((v.nlv for v, _ in parts), Decimal(0))
    assert total.maintenance_margin == sum((v.maintenance_margin for v, _ in parts), Decimal(0))
    assert total.buying_power == sum((v.buying_power for v, _ in parts), Decimal(0))


@given(
    quantity,
    price,
    st.one_of(st.none(), price),
    money,
    st.sampled_from([Decimal(1), Decimal("1.00000000"), Decimal(100)]),
    st.sampled_from([Decimal(1), Decimal("1.25")]),
    st.sampled_from([None, Decimal(1), Decimal("1.2")]),
)
def test_position_value_is_price_times_multiplier_times_fx(
    qty, px, prior, cost, mult, fx, prior_fx
):
    # given
    p = PositionInput("X", "STK", qty, px, mult, fx, cost, prior, prior_fx)
    # when
    v = position_value(p)
    # then: the textbook formulas, whichever way the module computes them
    prior_px = px if prior is None else prior
    prior_rate = fx if prior_fx is None else prior_fx
    assert v.market_value == qty * px * mult * fx
    assert v.cost == cost * mult * fx
    assert v.unrealized_pnl == qty * px * mult * fx - cost * mult * fx
    assert v.daily_pnl == qty * mult * (px * fx - prior_px * prior_rate)
