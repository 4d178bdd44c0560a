from decimal import Decimal

from django.shortcuts import render

from clientportal.scope import portal_page
from clientportal.selectors import portal_valuation
from ledger.selectors import cash_for

from .common import csv_response

SORT_KEYS = {
    "symbol": lambda r: r.value.symbol,
    "quantity": lambda r: r.value.quantity,
    "price": lambda r: r.value.price,
    "value": lambda r: r.value.market_value,
    "cost": lambda r: r.value.cost,
    "pnl": lambda r: r.value.unrealized_pnl,
    "pnl_pct": lambda r: r.unrealized_pct if r.unrealized_pct is not None else Decimal("-1e30"),
}


GROUPINGS = {"class": "Asset class", "currency": "Currency"}


def _groups(tenant, rows, *, by: str) -> list[tuple[str, list, Decimal]]:
    """(label, rows, total market value) per asset class or instrument currency, the largest
    total first; market values are in the base currency."""
    from clientportal.charts import ASSET_CLASS_LABELS
    from ledger.selectors import instruments_by_symbol

    if by == "currency":
        known = instruments_by_symbol(tenant=tenant, symbols={r.value.symbol for r in rows})
        label_of = {s: i.currency for s, i in known.items()}
        keyed = [(label_of.get(r.value.symbol, "?"), r) for r in rows]
    else:
        names = ASSET_CLASS_LABELS
        keyed = [(names.get(r.value.asset_class, r.value.asset_class), r) for r in rows]
    out: dict[str, list] = {}
    for label, row in keyed:
        out.setdefault(label, []).append(row)
    totals = {k: sum((r.value.market_value for r in v), Decimal(0)) for k, v in out.items()}
    return sorted(((k, v, totals[k]) for k, v in out.items()), key=lambda g: (-abs(g[2]), g[0]))


@portal_page
def positions(request):
    scope = request.portal
    rows = []
    if scope.selected:
        rows = portal_valuation(tenant=request.tenant, accounts=scope.selected).positions
    classes = sorted({r.value.asset_class for r in rows})
    asset_class = request.GET.get("class", "")
    if asset_class:
        rows = [r for r in rows if r.value.asset_class == asset_class]
    sort = request.GET.get("sort", "-value")
    key = sort.lstrip("-")
    if key in SORT_KEYS:
        rows = sorted(rows, key=SORT_KEYS[key], reverse=sort.startswith("-"))
    if request.GET.get("format") == "csv":
        return csv_response(
            "positions.csv",
            [
                "account",
                "symbol",
                "asset_class",
                "quantity",
                "price",
                "market_value",
                "cost_basis",
                "unrealized_pnl",
                "unrealized_pct",
            ],
            (
                [
                    r.account_number,
                    r.value.symbol,
                    r.value.asset_class,
                    r.value.quantity,
                    r.value.price,
                    r.value.market_value,
                    r.value.cost,
                    r.value.unrealized_pnl,
                    "" if r.unrealized_pct is None else round(r.unrealized_pct, 2),
                ]
                for r in rows
            ),
        )
    group = request.GET.get("group", "")
    groups = _groups(request.tenant, rows, by=group) if group in GROUPINGS else []
    context = {
        "rows": rows,
        "group": group if groups else "",
        "groups": groups,
        "groupings": GROUPINGS,
        "asset_classes": classes,
        "asset_class": asset_class,
        "sort": sort,
        "columns": [
            ("symbol", "Symbol", False),
            ("quantity", "Quantity", True),
            ("price", "Price", True),
            ("value", "Market value", True),
            ("cost", "Cost basis", True),
            ("pnl", "Unrealized P&L", True),
            ("pnl_pct", "%", True),
        ],
    }
    return render(request, "clientportal/positions.html", context)


@portal_page
def cash(request):
    """Balances by currency, trade-date and settled, with totals in the base currency of the
    (first) selected account at today's FX."""
    scope = request.portal
    base = scope.selected[0].base_currency if scope.selected else "USD"
    cash = cash_for(tenant=request.tenant, account_ids=scope.selected_ids, base_currency=base)
    numbers = {a.pk: a.number for a in scope.selected}
    context = {
        "rows": [(numbers.get(r.account_id, ""), r) for r in cash.rows],
        "base_currency": base,
        "total": cash.total,
        "settled_total": cash.settled_total,
    }
    return render(request, "clientportal/cash.html", context)
