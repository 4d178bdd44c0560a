"""Property tests of the order state machine: no way out of a final status, a filled quantity
never above the order's, and a bracket's two children never both filled."""

from decimal import Decimal

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.models import Price

from ..models import Order
from ..services import order_fill, order_submit, order_transition
from ..states import FINAL, TRANSITIONS, Status, TransitionRefused, fill_apply, transition_check
from ..venues import SimulatedVenue
from .factories import bracket_submit, stock_make, ticket, trader_make

D = Decimal
STATUSES = [s.value for s in Status]

actions = st.lists(
    st.one_of(
        st.tuples(st.just("go"), st.sampled_from(STATUSES)),
        st.tuples(st.just("fill"), st.integers(min_value=1, max_value=60)),
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(quantity=st.integers(min_value=1, max_value=100), steps=actions)
def test_no_way_out_of_a_final_status_and_fills_within_the_quantity(quantity, steps):
    status, filled, average = Status.NEW.value, D(0), None
    quantity = D(quantity)
    for kind, value in steps:
        before = status
        try:
            if kind == "go":
                if value in (Status.FILLED, Status.PARTIALLY_FILLED):
                    continue  # only a fill moves an order there
                transition_check(status, value)
                status = value
            else:
                status, filled, average = fill_apply(
                    status=status,
                    quantity=quantity,
                    filled=filled,
                    avg_price=average,
                    fill_quantity=D(value),
                    fill_price=D("10"),
                )
        except TransitionRefused:
            assert status == before
            continue
        assert before not in FINAL, f"{before} → {status}"
        assert filled <= quantity
        assert (status == Status.FILLED) == (filled == quantity)


def test_every_final_status_has_no_transition():
    assert all(TRANSITIONS[s] == frozenset() for s in FINAL)
    for final in FINAL:
        for target in STATUSES:
            try:
                transition_check(final, target)
            except TransitionRefused:
                continue
            raise AssertionError(f"{final} → {target} allowed")


def test_the_database_refuses_a_filled_quantity_above_the_quantity(in_tenant_a):
    from django.db import IntegrityError, transaction

    user, account = trader_make(in_tenant_a)
    stock = stock_make("100")
    order = order_submit(
        user=user,
        tenant=in_tenant_a,
        ticket=ticket(account, stock, order_type="limit", limit_price=D("90")),
    )
    try:
        with transaction.atomic():
            Order.objects.filter(pk=order.pk).update(filled_quantity=D(11))
    except IntegrityError:
        pass
    else:
        raise AssertionError("filled 11 of 10 accepted")
    order_transition(order=order, to_status="cancelled")
    try:
        order_fill(order=order, quantity=D(1), price=D("90"))
    except TransitionRefused:
        pass
    else:
        raise AssertionError("a cancelled order took a fill")


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    prices=st.lists(st.integers(min_value=80, max_value=120), min_size=1, max_size=8),
    volume=st.one_of(st.none(), st.integers(min_value=10, max_value=400)),
)
def test_a_brackets_children_never_both_fill(in_tenant_a, prices, volume):
    # given a paper bracket: buy 10 at 100, take profit 110, stop loss 90
    user, account = trader_make(in_tenant_a, cash=D("100000"))
    type(account).objects.filter(pk=account.pk).update(is_paper=True)
    stock = stock_make("100")
    parent = bracket_submit(user, in_tenant_a, account, stock, limit="100", take="110", stop="90")
    venue = SimulatedVenue()
    # when prices arrive one after the other
    today = timezone.localdate()
    from ledger.services.market import PriceTick

    for price in prices:
        Price.objects.filter(instrument=stock, date=today).update(close=D(price))
        venue.prices_arrived([PriceTick(stock.pk, today, D(price), volume and D(volume))])
    # then at most one child has any fill, and nothing filled more than its quantity
    children = list(parent.children.all())
    assert sum(1 for c in children if c.filled_quantity > 0) <= 1
    for order in [parent, *children]:
        order.refresh_from_db()
        assert order.filled_quantity <= order.quantity
