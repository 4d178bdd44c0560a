"""The order checks every submission passes (registered with `@pre_trade_check`, in this
order): the login's trade right, the account's state and product permissions, short-sale
rules, the market's hours for DAY orders, the firm's fat-finger limits, buying power and the
duplicate-order warning. Each answers with the reason the person reads and the figures behind
it. Intraday margin and day trades are checked by `trading.margin`."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from ledger.models import Account

from .checks import pre_trade_check
from .facts import facts
from .intent import CheckResult, OrderIntent, Side
from .market_hours import market_state

BLOCK, WARN = CheckResult.BLOCK, CheckResult.WARN
ZERO = Decimal(0)
CENT = Decimal("0.01")
STOCK_LIKE = frozenset({"STK", "ETF", "FUND", "BOND"})
OPTIONS = frozenset({"OPT", "FOP"})


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT)


@pre_trade_check
def trade_right_check(intent: OrderIntent) -> list[CheckResult]:
    """The login holds the trade right on the account (or on its advisor master)."""
    from ledger.access import account_allows

    f = facts(intent)
    if f.account is None or f.instrument is None:
        return [CheckResult("account_unknown", BLOCK, "No such account or instrument.")]
    if not account_allows(
        user=f.user, tenant=f.tenant, account=f.account, need="trade", granted=f.granted
    ):
        return [
            CheckResult(
                "trade_right",
                BLOCK,
                f"You may not trade in account {f.account.number}.",
                {"account": f.account.number},
            )
        ]
    return []


@pre_trade_check
def account_state_check(intent: OrderIntent) -> list[CheckResult]:
    """A restricted account takes closing orders only; a closed account none."""
    f = facts(intent)
    if f.account is None or f.instrument is None:
        return []
    if f.account.status == Account.Status.CLOSED:
        return [CheckResult("account_closed", BLOCK, f"Account {f.account.number} is closed.")]
    if f.account.status == Account.Status.RESTRICTED and not f.closing:
        return [
            CheckResult(
                "account_restricted",
                BLOCK,
                f"Account {f.account.number} is restricted to closing orders: you may sell "
                f"or cover up to your position of {f.position} {f.instrument.symbol}.",
                {"position": f.position, "quantity": intent.quantity},
            )
        ]
    return []


def _product_needed(asset_class: str, side: str, closing: bool) -> tuple[str, int] | None:
    """(product, options level) the order needs. Closing a position needs no permission.
    Options levels: 1 covered calls / protective puts, 2 long options, 4 uncovered writing."""
    if closing:
        return None
    if asset_class in STOCK_LIKE:
        return ("stocks", 0)
    if asset_class in OPTIONS:
        return ("options", 2 if side in (Side.BUY, Side.BUY_TO_COVER) else 4)
    if asset_class == "FUT":
        return ("futures", 0)
    if asset_class == "CASH":
        return ("fx", 0)
    if asset_class == "CRYPTO":
        return ("crypto", 0)
    return ("stocks", 0)


PRODUCT_LABELS = {
    "stocks": "stocks and ETFs",
    "futures": "futures",
    "fx": "FX",
    "crypto": "crypto",
}


@pre_trade_check
def product_permission_check(intent: OrderIntent) -> list[CheckResult]:
    """The account is permitted for the product (set at onboarding, changed by staff). Options
    need the level of the strategy (FINRA Rule 2360(b)(16): options accounts are approved for
    the strategies the customer may use)."""
    f = facts(intent)
    if f.account is None or f.instrument is None:
        return []
    needed = _product_needed(f.instrument.asset_class, intent.side, f.closing)
    if needed is None:
        return []
    product, level = needed
    products = f.products
    if product == "options":
        if products.options_level < level:
            return [
                CheckResult(
                    "options_not_permitted",
                    BLOCK,
                    f"Account {f.account.number} is not permitted for this option order: it "
                    f"needs options level {level}, the account has level "
                    f"{products.options_level}. Ask your broker to review your options "
                    "permissions.",
                    {"level_needed": Decimal(level), "level": Decimal(products.options_level)},
                )
            ]
        return []
    if not getattr(products, product):
        return [
            CheckResult(
                "product_not_permitted",
                BLOCK,
                f"Account {f.account.number} is not permitted to trade {PRODUCT_LABELS[product]}.",
                {"product": product},
            )
        ]
    return []


@pre_trade_check
def short_sale_check(intent: OrderIntent) -> list[CheckResult]:
    """A sale beyond the position is a short sale: only in a margin account (Regulation T,
    12 CFR 220.8: a cash account does not sell short), marked as such (Regulation SHO Rule
    200(g)); a plain sell of more than is held is refused."""
    f = facts(intent)
    if f.account is None or f.instrument is None:
        return []
    if intent.side == Side.SELL and f.position < intent.quantity:
        return [
            CheckResult(
                "sell_exceeds_position",
                BLOCK,
                f"You hold {f.position} {f.instrument.symbol}; a sale of {intent.quantity} "
                "is more than that. Choose 'Sell short' for a short sale.",
                {"position": f.position, "quantity": intent.quantity},
            )
        ]
    if intent.side == Side.SELL_SHORT and f.account.margin_type != Account.MarginType.REG_T:
        return [
            CheckResult(
                "short_needs_margin",
                BLOCK,
                f"Account {f.account.number} is a cash account; short sales need a margin account.",
            )
        ]
    if intent.side == Side.BUY_TO_COVER and f.position >= 0:
        return [
            CheckResult(
                "nothing_to_cover",
                BLOCK,
                f"You have no short position in {f.instrument.symbol} to cover.",
                {"position": f.position},
            )
        ]
    return []


@pre_trade_check
def market_hours_check(intent: OrderIntent) -> list[CheckResult]:
    """A DAY order lives for one session of its market (exchange-calendars: hours, holidays,
    early closes); submitted while the market is closed it works from the next open."""
    f = facts(intent)
    if f.instrument is None or intent.time_in_force != "day":
        return []
    state = market_state(
        asset_class=f.instrument.asset_class,
        exchange=f.instrument.exchange,
        currency=f.instrument.currency,
        at=timezone.now(),
    )
    intent.context["market"] = state
    if state.is_open or state.opens_at is None:
        return []
    opens = timezone.localtime(state.opens_at)
    closes = timezone.localtime(state.closes_at)
    return [
        CheckResult(
            "market_closed",
            WARN,
            f"The market ({state.calendar}) is closed. This DAY order will work from the next "
            f"open, {opens:%a %d %b %Y %H:%M %Z}, and expire at its close, {closes:%H:%M %Z}.",
            {"opens_at": opens.isoformat(), "closes_at": closes.isoformat()},
        )
    ]


@pre_trade_check
def fat_finger_check(intent: OrderIntent) -> list[CheckResult]:
    """The firm's limits against typing errors: the order's value, and the distance of a limit
    or stop price from the last close."""
    f = facts(intent)
    if f.account is None or f.instrument is None:
        return []
    out = []
    settings = f.settings
    last = f.last_price
    if last is None:
        if intent.order_type == "market":
            out.append(
                CheckResult(
                    "no_price",
                    BLOCK,
                    f"There is no price for {f.instrument.symbol}; give a limit price.",
                )
            )
        else:
            out.append(
                CheckResult(
                    "no_price",
                    WARN,
                    f"There is no price for {f.instrument.symbol} to compare your price with.",
                )
            )
    else:
        deviations = []
        for name, price in (
            ("limit", intent.context.get("limit_price")),
            ("stop", intent.context.get("stop_price")),
        ):
            if price:
                deviations.append((name, Decimal(price)))
        if not deviations and intent.order_type != "market":
            deviations.append(("order", intent.estimated_price))
        for name, price in deviations:
            pct = (abs(price - last.close) / last.close * 100) if last.close else ZERO
            if pct > settings.max_price_deviation_pct:
                out.append(
                    CheckResult(
                        "price_far_from_last",
                        BLOCK,
                        f"The {name} price {price} is {pct.quantize(CENT)}% from the last close "
                        f"{last.close.normalize()} ({last.on:%d %b %Y}); the firm's limit is "
                        f"{settings.max_price_deviation_pct}%.",
                        {
                            "price": price,
                            "last": last.close,
                            "deviation_pct": pct.quantize(CENT),
                            "limit_pct": settings.max_price_deviation_pct,
                        },
                    )
                )
    fx = f.fx_to_base
    if fx is not None:
        value = _money(f.value * fx)
        if value > settings.max_order_value:
            out.append(
                CheckResult(
                    "order_value_limit",
                    BLOCK,
                    f"The order's value of {value} {f.account.base_currency} is above the "
                    f"firm's limit of {_money(settings.max_order_value)} per order.",
                    {"value": value, "limit": settings.max_order_value},
                )
            )
    return out


@pre_trade_check
def buying_power_check(intent: OrderIntent) -> list[CheckResult]:
    """An opening purchase is paid from buying power less what open buy orders already hold:
    in a cash account the cash settled or settling (Regulation T, 12 CFR 220.8(a): full cash
    payment), in a Reg T account the margin buying power (`ledger.domain.valuation`)."""
    f = facts(intent)
    if f.account is None or f.instrument is None:
        return []
    if intent.side not in (Side.BUY, Side.BUY_TO_COVER):
        return []
    if intent.side == Side.BUY_TO_COVER and f.account.margin_type == Account.MarginType.REG_T:
        return []  # a cover reduces the margin needed; the margin checks decide
    if f.account.account_type == Account.Type.MASTER:
        return []  # a master's block is paid by its sub-accounts: trading.group_orders
    fx = f.fx_to_base
    valuation = f.valuation
    if fx is None or valuation is None:
        return [
            CheckResult(
                "no_fx_rate",
                BLOCK,
                f"No FX rate from {f.instrument.currency} to {f.account.base_currency}.",
            )
        ]
    cost = _money((f.value + f.commission) * fx)
    reserved = _money(f.reserved_by_open_orders * fx)
    available = _money(valuation.buying_power - reserved)
    intent.context["buying_power"] = {
        "buying_power": _money(valuation.buying_power),
        "reserved": reserved,
        "available": available,
        "cost": cost,
    }
    if cost > available:
        return [
            CheckResult(
                "buying_power",
                BLOCK,
                f"The order costs {cost} {f.account.base_currency} with commission; your "
                f"buying power is {_money(valuation.buying_power)}, of which open orders hold "
                f"{reserved}, leaving {available}.",
                {
                    "cost": cost,
                    "buying_power": _money(valuation.buying_power),
                    "reserved": reserved,
                    "available": available,
                },
            )
        ]
    return []


@pre_trade_check
def duplicate_order_check(intent: OrderIntent) -> list[CheckResult]:
    """The same order (account, instrument, side, quantity, type, prices) again within the firm's
    window is warned: usually a double click."""
    f = facts(intent)
    if f.account is None or f.instrument is None:
        return []
    same = f.book.duplicate
    if same is None:
        return []
    return [
        CheckResult(
            "duplicate_order",
            WARN,
            f"You placed the same order (#{same[0]}) at "
            f"{timezone.localtime(same[1]):%H:%M:%S}. Place it again?",
            {"order": str(same[0])},
        )
    ]


@pre_trade_check
def risk_disclosure_check(intent: OrderIntent) -> list[CheckResult]:
    """Risk warnings to confirm: options (the Options Disclosure Document, FINRA Rule 2360),
    leveraged and inverse ETFs (FINRA Regulatory Notice 09-31) and short sales (unlimited
    loss; Regulation SHO)."""
    f = facts(intent)
    if f.account is None or f.instrument is None:
        return []
    out = []
    asset_class = f.instrument.asset_class
    if asset_class in OPTIONS and not f.closing:
        out.append(
            CheckResult(
                "options_risk",
                WARN,
                "Options carry a high level of risk: you may lose the whole premium, and a "
                "writer's loss is not limited. Read 'Characteristics and Risks of "
                "Standardized Options'.",
            )
        )
    text = f"{f.instrument.symbol} {f.instrument.description}".lower()
    if asset_class == "ETF" and any(w in text for w in ("leveraged", "inverse", " 2x", " 3x")):
        out.append(
            CheckResult(
                "leveraged_etf",
                WARN,
                "Leveraged and inverse ETFs reset daily; held longer than a day their returns "
                "can differ widely from the index's multiple.",
            )
        )
    if intent.side == Side.SELL_SHORT:
        out.append(
            CheckResult(
                "short_sale_risk",
                WARN,
                "A short sale's loss is not limited: the price can rise without bound, and the "
                "shares may be recalled.",
            )
        )
    return out
