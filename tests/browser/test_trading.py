"""A demo client trades on paper through the pages: the ticket opened from the positions page,
an option order it is not permitted for blocked with the reason, a limit order placed on its
paper account, filled when a price load crosses the limit, and the dashboard showing the
position and the cash it cost. At a phone's width (375 px).

No test transaction: what the test writes (an option instrument, the crossing price) is
committed, as the server must see it, and removed afterwards (the demo's purge removes the
paper account and its bookings)."""

import secrets
from decimal import Decimal

from django.db import connection
from django_tenants.utils import schema_context

from .test_demo_roles import demo_login

SCHEMA = "northwind"


def _db(django_db_blocker, read, schema=SCHEMA):
    with django_db_blocker.unblock(), schema_context(schema):
        value = read()
    connection.set_schema_to_public()
    return value


def test_a_client_trades_on_paper_from_the_positions_page(
    browser, demo_site, django_db_blocker, screenshots
):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from demo.seed import DEMO_TENANTS, demo_logins
    from ledger.access import accounts_visible
    from ledger.models import Instrument, Position, Price
    from ledger.services.market import PriceRow, prices_load
    from tenants.models import Tenant

    demo = next(d for d in DEMO_TENANTS if d.schema_name == SCHEMA)
    username = next(u for u, role in demo_logins(demo) if role == "Client")
    today = timezone.localdate()

    def held_stock():
        user = get_user_model().objects.get(username=username)
        tenant = Tenant.objects.get(schema_name=SCHEMA)
        accounts = accounts_visible(user=user, tenant=tenant)
        position = (
            Position.objects.filter(
                account__in=accounts, quantity__gt=0, instrument__asset_class="STK"
            )
            .select_related("instrument")
            .order_by("instrument__symbol")
            .first()
        )
        close = Price.objects.filter(instrument=position.instrument).order_by("-date").first()
        return position.instrument, close.close

    stock, last = _db(django_db_blocker, held_stock)
    option_symbol = f"JRNY{secrets.token_hex(2).upper()}"

    def option_make():
        option = Instrument.objects.create(
            symbol=option_symbol,
            asset_class="OPT",
            currency="USD",
            multiplier=Decimal(100),
            exchange="CBOE",
            description="Journey call option",
        )
        Price.objects.create(instrument=option, date=today, close=Decimal("2.50"))
        return option

    option = _db(django_db_blocker, option_make, schema="public")
    limit = (last * Decimal("0.98")).quantize(Decimal("0.01"))
    context = None
    try:
        with django_db_blocker.unblock():
            context, page = demo_login(browser, demo_site(SCHEMA), SCHEMA, username)
        connection.set_schema_to_public()
        page.set_viewport_size({"width": 375, "height": 800})
        base = demo_site(SCHEMA)
        # the ticket from the positions page's header
        page.goto(f"{base}/positions/")
        page.click("a.trade-link")
        page.wait_for_url("**/trade/**")
        page.click("button:has-text('Open a paper account')")
        page.wait_for_load_state("load")
        assert "PAPER (simulated)" in page.inner_text("#account-select")

        def choose(symbol):
            page.fill("#instrument-search", symbol)
            page.click("form[role=search] button")
            page.click(f"#instrument-results a:text-is('{symbol}')")
            page.wait_for_selector("#id_quantity")

        def paper_option_value():
            return page.eval_on_selector(
                "#id_account",
                "s => [...s.options].find(o => o.text.includes('PAPER')).value",
            )

        # an option order the account is not permitted for: blocked, with the reason
        choose(option_symbol)
        page.select_option("#id_account", paper_option_value())
        page.select_option("#id_order_type", "limit")
        page.fill("#id_quantity", "1")
        page.fill("#id_limit_price", "2.50")
        page.select_option("#id_time_in_force", "gtc")
        page.click("button[value=preview]")
        page.wait_for_selector("#preview")
        blocked = page.inner_text("[data-code=options_not_permitted]")
        assert "needs options level 2" in blocked
        assert page.locator("#place-order").count() == 0
        page.screenshot(path=str(screenshots / "trade-option-blocked-375.png"), full_page=True)
        # a limit buy on the paper account, below the last close
        page.click("a:text-is('change')")
        choose(stock.symbol)
        page.select_option("#id_account", paper_option_value())
        page.select_option("#id_order_type", "limit")
        page.fill("#id_quantity", "10")
        page.fill("#id_limit_price", str(limit))
        page.select_option("#id_time_in_force", "gtc")
        page.click("button[value=preview]")
        page.wait_for_selector("#place-order")
        page.click("#place-order")
        page.wait_for_selector("#order-status")
        assert page.inner_text("#order-status") == "Accepted"
        order_url = page.url
        # when the market data crosses the limit
        with django_db_blocker.unblock():
            prices_load(
                rows=[
                    PriceRow(
                        on=today,
                        close=limit - Decimal("0.10"),
                        conid=stock.conid,
                        symbol=stock.symbol,
                        exchange=stock.exchange,
                        currency=stock.currency,
                    )
                ]
            )
        connection.set_schema_to_public()
        page.goto(order_url)
        assert page.inner_text("#order-status") == "Filled"

        def paper_figures():
            from ledger.models import Account
            from ledger.selectors import account_valuation

            tenant = Tenant.objects.get(schema_name=SCHEMA)
            user = get_user_model().objects.get(username=username)
            paper = Account.objects.get(tenant=tenant, external_ref=f"paper:{user.pk}")
            held = Position.objects.get(account=paper, instrument=stock).quantity
            return paper.pk, held, account_valuation(tenant=tenant, account=paper)

        paper_id, held, valuation = _db(django_db_blocker, paper_figures)
        assert held == Decimal(10)

        def fill():
            from trading.models import Fill

            return Fill.objects.get(order__account_id=paper_id)

        booked = _db(django_db_blocker, fill)
        assert booked.price == limit - Decimal("0.10")
        assert valuation.cash == Decimal("1000000") - 10 * booked.price - booked.commission
        # then the dashboard shows the position and the buying power the cash change left
        page.goto(f"{base}/?account={paper_id}")
        assert stock.symbol in page.inner_text("main")
        buying_power = page.inner_text('[data-figure="buying_power"]')
        assert buying_power == f"{valuation.buying_power:,.2f}"
        assert page.inner_text('[data-figure="nlv"]') == f"{valuation.nlv:,.2f}"
        page.screenshot(path=str(screenshots / "trade-paper-dashboard-375.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page is {width} px wide at 375 px"
    finally:
        if context is not None:
            context.close()

        def option_remove():
            # by SQL: the ORM's delete would look for tenant tables that point at instruments
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM ledger_price WHERE instrument_id = %s", [option.pk])
                cursor.execute("DELETE FROM ledger_instrument WHERE id = %s", [option.pk])

        _db(django_db_blocker, option_remove, schema="public")
