"""The allocation engine: the worked examples of the methods, and properties under Hypothesis."""

import random
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from allocations.engine import (
    AllocationError,
    Member,
    Method,
    Side,
    allocate,
    split_in_proportion,
)
from allocations.increments import allocate_increment


def _members(values, priorities=None):
    priorities = priorities or [0] * len(values)
    return [
        Member(account=f"U{i + 1:03d}", priority=p, value=D(v))
        for i, (v, p) in enumerate(zip(values, priorities, strict=True))
    ]


def _quantities(result):
    return [line.quantity for line in result.lines]


# --- the worked examples ---------------------------------------------------------------------


def test_equal_400_over_6_hands_the_remainder_to_the_first_four():
    # given six accounts of equal priority
    members = _members([0] * 6)
    # when 400 shares are allocated equally
    result = allocate(quantity=D(400), members=members, method=Method.EQUAL)
    # then the four remainder shares go by account number
    assert _quantities(result) == [D(67), D(67), D(67), D(67), D(66), D(66)]
    assert [line.remainder_rank for line in result.lines] == [1, 2, 3, 4, None, None]


def test_equal_remainder_follows_priority_before_account_number():
    # given the last two accounts have the best (lowest) priority
    members = _members([0] * 6, priorities=[5, 5, 5, 5, 1, 1])
    # when
    result = allocate(quantity=D(400), members=members, method=Method.EQUAL)
    # then they are first in line for the remainder
    assert _quantities(result) == [D(67), D(67), D(66), D(66), D(67), D(67)]


def test_net_liquidation_700_over_25k_50k_100k():
    members = _members(["25000", "50000", "100000"])
    result = allocate(quantity=D(700), members=members, method=Method.NET_LIQUIDATION)
    assert _quantities(result) == [D(100), D(200), D(400)]


def test_available_equity_uses_the_same_proportion():
    members = _members(["25000", "50000", "100000"])
    result = allocate(quantity=D(700), members=members, method=Method.AVAILABLE_EQUITY)
    assert _quantities(result) == [D(100), D(200), D(400)]


def test_net_liquidation_gives_nothing_to_a_negative_account():
    members = _members(["-5000", "50000", "50000"])
    result = allocate(quantity=D(100), members=members, method=Method.NET_LIQUIDATION)
    assert _quantities(result) == [D(0), D(50), D(50)]
    assert "non-positive value" in result.lines[0].explanation


def test_percentages_60_40_of_300():
    result = allocate(quantity=D(300), members=_members(["60", "40"]), method=Method.PERCENTAGES)
    assert _quantities(result) == [D(180), D(120)]


def test_percentages_must_sum_to_100():
    with pytest.raises(AllocationError, match="sum to 100"):
        allocate(quantity=D(300), members=_members(["60", "30"]), method=Method.PERCENTAGES)


def test_ratios_4_2_1_1_of_1000():
    result = allocate(quantity=D(1000), members=_members([4, 2, 1, 1]), method=Method.RATIOS)
    assert _quantities(result) == [D(500), D(250), D(125), D(125)]


def test_fixed_shares_whole_block_and_partial_fill():
    members = _members([100, 300, 600])
    full = allocate(quantity=D(1000), members=members, method=Method.FIXED_SHARES)
    assert _quantities(full) == [D(100), D(300), D(600)]
    # a partial fill of half the block is shared in proportion to the targets
    half = allocate(quantity=D(500), members=members, method=Method.FIXED_SHARES)
    assert _quantities(half) == [D(50), D(150), D(300)]
    with pytest.raises(AllocationError, match="exceeds"):
        allocate(quantity=D(1001), members=members, method=Method.FIXED_SHARES)


def test_cash_amount_rounds_down_to_the_step():
    # given 10,000 / 25,050 / 4,990 dollars at 50.00 a share
    members = _members(["10000", "25050", "4990"])
    # when the block equals the sum of the rounded-down targets 200 + 501 + 99
    result = allocate(quantity=D(800), members=members, method=Method.CASH_AMOUNT, price=D("50.00"))
    # then
    assert _quantities(result) == [D(200), D(501), D(99)]


def test_cash_amount_rounds_down_to_a_lot_size():
    members = _members(["10000", "25050", "4990"])
    result = allocate(
        quantity=D(700),
        members=members,
        method=Method.CASH_AMOUNT,
        price=D("50.00"),
        step=D(100),
    )
    assert _quantities(result) == [D(200), D(500), D(0)]


@pytest.mark.parametrize(
    ("side", "pct", "expected"),
    [
        (Side.BUY, "10", [D(10), D(20), D(0), D(0)]),  # grow longs
        (Side.BUY, "-50", [D(0), D(0), D(150), D(250)]),  # cover shorts
        (Side.SELL, "-10", [D(10), D(20), D(0), D(0)]),  # reduce longs
        (Side.SELL, "50", [D(0), D(0), D(150), D(250)]),  # grow shorts
    ],
)
def test_pct_change_follows_the_sign_rules_of_the_side(side, pct, expected):
    # given two long and two short positions
    members = _members(["100", "200", "-300", "-500"])
    # when the block is the sum of the changes
    result = allocate(
        quantity=sum(expected), members=members, method=Method.PCT_CHANGE, side=side, pct=D(pct)
    )
    # then only the accounts on the right side change, by |pct| of their position
    assert _quantities(result) == expected


def test_pct_change_cannot_shrink_beyond_the_position():
    with pytest.raises(AllocationError, match="100%"):
        allocate(
            quantity=D(10),
            members=_members(["100"]),
            method=Method.PCT_CHANGE,
            side=Side.SELL,
            pct=D("-150"),
        )


def test_lot_size_and_fraction_step():
    lots = allocate(quantity=D(1000), members=_members([1, 1, 1]), method="ratios", step=D(100))
    assert _quantities(lots) == [D(400), D(300), D(300)]
    fractions = allocate(
        quantity=D("10.0"), members=_members([1, 1, 1]), method="ratios", step=D("0.1")
    )
    assert _quantities(fractions) == [D("3.4"), D("3.3"), D("3.3")]


def test_odd_lot_residual_goes_to_the_next_in_remainder_order():
    # given a partial fill of 250 with lots of 100 over three equal accounts
    members = _members([1, 1, 1])
    result = allocate(quantity=D(250), members=members, method="equal", step=D(100))
    # then the two whole lots go to the first two in order and the odd 50 to the third
    assert _quantities(result) == [D(100), D(100), D(50)]
    assert result.lines[2].odd_lot == D(50)
    assert "odd-lot residual 50" in result.lines[2].explanation


def test_explanation_names_exact_and_rounded_share():
    result = allocate(quantity=D(10), members=_members([1, 1, 1]), method="equal")
    assert result.lines[0].explanation == (
        "exact share ≈ 3.3333; rounded down 3; +1 lot of the remainder "
        "(rank 1 by fractional part, then priority, then account number) → 4"
    )
    assert result.lines[1].explanation == ("exact share ≈ 3.3333; rounded down 3 → 3")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quantity": D(0)}, "positive"),
        ({"step": D(0)}, "step must be positive"),
        ({"members": []}, "no accounts"),
        ({"members": [Member("A"), Member("A")]}, "twice"),
    ],
)
def test_invalid_inputs_are_refused(kwargs, message):
    arguments = {"quantity": D(10), "members": _members([1, 1]), "method": "equal"} | kwargs
    with pytest.raises(AllocationError, match=message):
        allocate(**arguments)


def test_split_commission_in_proportion_sums_exactly():
    shares = split_in_proportion(amount=D("10.00"), quantities=[D(67), D(67), D(66)])
    assert shares == [D("3.35"), D("3.35"), D("3.30")]
    assert split_in_proportion(amount=D("-1.00"), quantities=[D(1)] * 3) == [
        D("-0.34"),
        D("-0.33"),
        D("-0.33"),
    ]


# --- properties ------------------------------------------------------------------------------

steps = st.sampled_from([D(1), D(1), D(100), D(10), D("0.1"), D("0.0001"), D(25)])
methods = st.sampled_from(
    [Method.EQUAL, Method.NET_LIQUIDATION, Method.AVAILABLE_EQUITY, Method.RATIOS]
)


@st.composite
def groups(draw):
    n = draw(st.integers(min_value=1, max_value=40))
    priorities = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    values = draw(
        st.lists(
            st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False),
            min_size=n,
            max_size=n,
        )
    )
    if sum(values) == 0:
        values[0] = D(1)
    return [
        Member(account=f"A{i:04d}", priority=p, value=v)
        for i, (p, v) in enumerate(zip(priorities, values, strict=True))
    ]


def _check_properties(result, quantity, step):
    assert sum(line.quantity for line in result.lines) == quantity
    for line in result.lines:
        assert line.quantity >= 0
        assert abs(Fraction(line.quantity) - line.exact_share) < Fraction(step)
    assert sum(line.exact_share for line in result.lines) == Fraction(quantity)


@settings(max_examples=300, deadline=None)
@given(
    members=groups(),
    method=methods,
    step=steps,
    lots=st.integers(min_value=1, max_value=10**6),
    odd=st.booleans(),
)
def test_properties_weighted_methods(members, method, step, lots, odd):
    # given a quantity of whole lots, or with an odd residual
    quantity = step * lots + (step / 2 if odd else 0)
    # when
    result = allocate(quantity=quantity, members=members, method=method, step=step)
    # then the total is exact, nothing negative, each within one step of its exact share
    _check_properties(result, quantity, step)
    # and the same input (in any order) gives the same output
    shuffled = list(members)
    random.Random(lots).shuffle(shuffled)
    again = allocate(quantity=quantity, members=shuffled, method=method, step=step)
    assert again.as_dict() == result.as_dict()


@settings(max_examples=150, deadline=None)
@given(
    members=groups(),
    step=steps,
    fraction=st.fractions(min_value=Fraction(1, 100), max_value=1),
)
def test_properties_capped_methods(members, step, fraction):
    # given fixed targets that are whole steps and a fill of part of their sum
    targets = [Member(m.account, m.priority, (m.value // step) * step + step) for m in members]
    total = sum(m.value for m in targets)
    quantity = ((total * fraction.numerator / fraction.denominator) // step) * step or step
    # when
    result = allocate(quantity=quantity, members=targets, method="fixed_shares", step=step)
    # then
    _check_properties(result, quantity, step)
    for line, member in zip(result.lines, targets, strict=True):
        assert line.quantity <= member.value


@settings(max_examples=150, deadline=None)
@given(
    positions=st.lists(st.integers(-(10**5), 10**5), min_size=1, max_size=30),
    pct=st.integers(-100, 300).filter(bool),
    side=st.sampled_from(list(Side)),
)
def test_properties_pct_change(positions, pct, side):
    members = [Member(f"P{i:03d}", 0, D(p)) for i, p in enumerate(positions)]
    wants_long = (side is Side.BUY) == (pct > 0)
    eligible = [abs(p) for p in positions if (p > 0 if wants_long else p < 0)]
    target = sum(D(abs(pct)) / 100 * e for e in eligible)
    quantity = target // 1
    if target == 0:
        # nobody on the side the percentage changes: nothing to allocate to
        with pytest.raises(AllocationError, match="anything to weigh"):
            allocate(quantity=D(1), members=members, method="pct_change", side=side, pct=D(pct))
        return
    assume(quantity > 0)
    result = allocate(
        quantity=quantity, members=members, method="pct_change", side=side, pct=D(pct)
    )
    _check_properties(result, quantity, D(1))
    for line, p in zip(result.lines, positions, strict=True):
        if not (p > 0 if wants_long else p < 0):
            assert line.quantity == 0


@settings(max_examples=100, deadline=None)
@given(
    amount=st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False),
    quantities=st.lists(st.integers(0, 10**6), min_size=1, max_size=30).filter(any),
)
def test_properties_split_in_proportion(amount, quantities):
    shares = split_in_proportion(amount=amount, quantities=[D(q) for q in quantities])
    assert sum(shares) == amount
    total = sum(quantities)
    for share, q in zip(shares, quantities, strict=True):
        assert abs(Fraction(share) - Fraction(amount) * q / total) < Fraction(1, 100)


# --- fills allocated as they come -----------------------------------------------------------


def test_second_fill_evens_out_the_first_fills_remainder():
    # given 100 of a block allocated equally over three accounts: 34, 33, 33
    members = _members([0, 0, 0])
    first = allocate(quantity=D(100), members=members, method="equal")
    assert _quantities(first) == [D(34), D(33), D(33)]
    previous = first.as_dict()
    # when a second fill of 100 comes
    second = allocate_increment(quantity=D(100), previous=previous, members=members, method="equal")
    # then the block so far is shared 67, 67, 66 rather than 68, 66, 66
    assert second.cumulative
    assert second.quantities == [D(33), D(34), D(33)]


def test_weights_that_move_with_bookings_allocate_each_fill_alone():
    members = _members(["100", "300"])
    result = allocate_increment(
        quantity=D(40),
        previous={"U001": D(10), "U002": D(30)},
        members=members,
        method="net_liquidation",
    )
    assert not result.cumulative
    assert result.quantities == [D(10), D(30)]


@settings(max_examples=150, deadline=None)
@given(
    members=groups(),
    method=st.sampled_from([Method.EQUAL, Method.RATIOS]),
    step=steps,
    fills=st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=6),
)
def test_properties_fills_as_they_come(members, method, step, fills):
    if method is Method.RATIOS:
        members = [Member(m.account, m.priority, m.value.to_integral_value() + 1) for m in members]
    previous: dict[str, D] = {}
    total = D(0)
    for lots in fills:
        quantity = step * lots
        result = allocate_increment(
            quantity=quantity, previous=previous, members=members, method=method, step=step
        )
        # each fill is handed out exactly, nothing is taken back
        assert sum(result.quantities) == quantity
        assert all(q >= 0 for q in result.quantities)
        for member, q in zip(members, result.quantities, strict=True):
            previous[member.account] = previous.get(member.account, D(0)) + q
        total += quantity
        if result.cumulative:
            # and every account is within one step of its fair share of the block so far
            whole = allocate(quantity=total, members=members, method=method, step=step)
            for line in whole.lines:
                assert abs(Fraction(previous[line.account]) - line.exact_share) < Fraction(step)
