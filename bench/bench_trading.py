"""Orders: how many a tenant accepts per second with every pre-trade check (trade right,
account state, products, short sales, market hours, fat-finger limits, buying power with the
open orders, duplicates, risk warnings, intraday margin), and how long a paper order takes from
the price load that crosses its limit to the position in the ledger.

Accepted: GTC limit buys below the market on a real cash account (the held venue, so nothing
fills and every order stays open, making each buying-power check count more open orders), 1,000
of them over 50 instruments, each in its own transaction as the ticket submits them.
Paper: 200 times, a limit buy on a paper account, then a price load crossing it; the time of
`prices_load` (the simulated venue works the order, the fill is booked through the execution
path, the position and cash updated) is one sample."""

import datetime as dt
import statistics
import time
from decimal import Decimal

FIGURES = ("orders_accepted_per_s", "paper_fill_to_position_ms", "paper_fill_to_position_p50_ms")
ORDERS = 1000
INSTRUMENTS = 50
PAPER_ORDERS = 200


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(round(share * (len(ordered) - 1)))]


def run() -> dict[str, float]:
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from ledger.models import Instrument, Position, Price
    from ledger.services import cash_deposit
    from ledger.services.market import PriceRow, prices_load
    from tenants.services import tenant_provision
    from tests.support.clientportal import account_for_client, client_user_make
    from trading.services import Ticket, order_submit, paper_account_open

    tenant = tenant_provision(
        name="Bench Trading",
        schema_name="bench_trading",
        domain="bench-trading.test",
        security_officer_email="so@bench-trading.test",
    )
    today = timezone.localdate()
    instruments = Instrument.objects.bulk_create(
        Instrument(symbol=f"BT{i:03d}", asset_class="STK", currency="USD", exchange="NYSE")
        for i in range(INSTRUMENTS)
    )
    Price.objects.bulk_create(
        Price(instrument=x, date=today, close=Decimal(100)) for x in instruments
    )
    with tenant_context(tenant):
        user = client_user_make(username="bench-trader")
        account = account_for_client(tenant=tenant, user=user, perms=("view", "fund", "trade"))
        cash_deposit(
            account=account,
            amount=Decimal("100000000"),
            currency="USD",
            idempotency_key="bench-trading-cash",
            value_date=today - dt.timedelta(days=3),
        )
        paper = paper_account_open(user=user, tenant=tenant)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        def ticket(n: int, account_id: int, price: str) -> Ticket:
            return Ticket(
                account_id=account_id,
                instrument_id=instruments[n % INSTRUMENTS].pk,
                side="buy",
                quantity=Decimal(1 + n // INSTRUMENTS),
                order_type="limit",
                limit_price=Decimal(price),
                time_in_force="gtc",
            )

        for n in range(20):  # warm: calendars, caches, prepared plans
            order_submit(user=user, tenant=tenant, ticket=ticket(ORDERS + n, account.pk, "97"))
        started = time.perf_counter()
        for n in range(ORDERS):
            order = order_submit(user=user, tenant=tenant, ticket=ticket(n, account.pk, "98"))
            assert order.status == "accepted", (order.status, order.reason)
        per_s = ORDERS / (time.perf_counter() - started)

        samples = []
        for n in range(PAPER_ORDERS):
            instrument = instruments[n % INSTRUMENTS]
            order = order_submit(user=user, tenant=tenant, ticket=ticket(n, paper.pk, "99"))
            assert order.status == "accepted", (order.status, order.reason)
            before = Position.objects.filter(account=paper, instrument=instrument).first()
            held = before.quantity if before else Decimal(0)
            crossing = Decimal("98.5") if n % 2 == 0 else Decimal("98.75")
            started = time.perf_counter()
            prices_load(rows=[PriceRow(on=today, close=crossing, symbol=instrument.symbol)])
            samples.append((time.perf_counter() - started) * 1000)
            after = Position.objects.get(account=paper, instrument=instrument).quantity
            assert after == held + order.quantity, (after, held, order.quantity)
            Price.objects.filter(instrument=instrument, date=today).update(close=Decimal(100))
    connection.set_schema_to_public()
    return {
        "orders_accepted_per_s": round(per_s, 1),
        "paper_fill_to_position_ms": round(_percentile(samples, 0.99), 1),
        "paper_fill_to_position_p50_ms": round(statistics.median(samples), 1),
    }
