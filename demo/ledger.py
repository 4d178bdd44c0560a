"""Demo books: a year of synthetic prices for 50 instruments in USD, EUR and GBP, FX rates, and
about 1,000 client accounts over the two demo tenants (advisor masters with sub-accounts at
Harbor Advisors) with deposits, FX conversions, trades, dividends with withholding tax, a few
withdrawals and a year of NAV history.

Deterministic (one seeded random generator), idempotent (skipped when the demo accounts
exist) and fast: everything goes through the bulk paths (COPY), not an entry at a time.
Each demo client login gets accounts whose `external_ref` is `demo:<username>`; the Harbor
advisor's masters carry `demo:advisor@harbor.example` (see `demo_account_numbers`).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from stdnum import isin as stdnum_isin

from ledger.imports.executions_bulk import ExecutionBooking, chunk_book
from ledger.journal.bulk import BulkCashEntry, CashLine, cash_entries_bulk_book
from ledger.models import Account, FxRate, Instrument, Price
from ledger.platform import BANK, CORPORATE_ACTIONS, FX, TAX, platform_account
from ledger.services import account_number_next, nav_snapshots_rebuild, trade_settle_date

SEED = 20260101
CENT = Decimal("0.01")
NAMES = {
    "USD": [
        "Acme Robotics",
        "Bluewater Energy",
        "Cobalt Semiconductors",
        "Delta Freight",
        "Evergreen Foods",
        "Falcon Aerospace",
        "Granite Bancorp",
        "Helix Therapeutics",
        "Ionic Software",
        "Juniper Retail",
        "Keystone Insurance",
        "Lumen Networks",
        "Meridian Health",
        "Northstar Mining",
        "Orchid Pharma",
        "Pioneer Rail",
        "Quartz Payments",
        "Redwood Realty",
        "Summit Media",
        "Tidal Utilities",
        "Unity Motors",
        "Vantage Cloud",
        "Willow Apparel",
        "Xenon Labs",
        "Yarrow Water",
        "Zephyr Airlines",
    ],
    "EUR": [
        "Alpenwerk",
        "Banco Lirio",
        "Cerulean Auto",
        "Danubia Chemie",
        "Etoile Luxe",
        "Fjord Wind",
        "Gaudi Construct",
        "Hanse Logistik",
        "Iberia Telecom",
        "Juno Pharma",
    ],
    "GBP": [
        "Albion Brewers",
        "Britannia Gas",
        "Caledonian Bank",
        "Dover Shipping",
        "Exmoor Estates",
        "Fenland Farms",
        "Gower Retail",
        "Humber Steel",
        "Isles Insurance",
        "Jurassic Media",
    ],
}
ETFS = [
    ("MKT500", "Broad Market 500 ETF", "USD"),
    ("WORLDX", "World ex-US ETF", "USD"),
    ("EUROSTX", "Euro Stoxx Tracker", "EUR"),
    ("UKFTS", "UK 100 Tracker", "GBP"),
]
BENCHMARK_SYMBOL = "MKT500"
EXCHANGE = {"USD": "NYSE", "EUR": "XETRA", "GBP": "LSE"}
ISIN_PREFIX = {"USD": "US", "EUR": "DE", "GBP": "GB"}


def demo_account_numbers(*, tenant) -> dict[str, list[str]]:
    """Demo username → the account numbers opened for that login."""
    out: dict[str, list[str]] = {}
    rows = Account.objects.filter(tenant=tenant, external_ref__startswith="demo:")
    for ref, number in rows.order_by("number").values_list("external_ref", "number"):
        out.setdefault(ref.removeprefix("demo:"), []).append(number)
    return out


def _ascii_login(text: str) -> str:
    from demo.seed import _ascii

    return _ascii(text).lower()


def _weekdays(start: date, end: date) -> list[date]:
    return [
        start + timedelta(days=i)
        for i in range((end - start).days + 1)
        if (start + timedelta(days=i)).weekday() < 5
    ]


def _money(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(CENT)


def _instruments_and_prices(rng: random.Random, days: list[date]) -> list[Instrument]:
    specs = []
    for ccy, names in NAMES.items():
        for name in names:
            symbol = "".join(w[:2] for w in name.upper().split())[:4] + ccy[0]
            specs.append((symbol, name, "STK", ccy))
    specs += [(s, n, "ETF", c) for s, n, c in ETFS]
    instruments = []
    for index, (symbol, name, asset_class, ccy) in enumerate(specs):
        body = f"{ISIN_PREFIX[ccy]}{900000000 + index:09d}"
        instruments.append(
            Instrument(
                symbol=symbol,
                conid=700000 + index,
                isin=body + stdnum_isin.calc_check_digit(body),
                description=f"{name} (synthetic demo prices)",
                asset_class=asset_class,
                currency=ccy,
                exchange=EXCHANGE[ccy],
            )
        )
    Instrument.objects.bulk_create(instruments, ignore_conflicts=True)
    instruments = list(Instrument.objects.filter(symbol__in=[s[0] for s in specs]))
    prices = []
    for inst in sorted(instruments, key=lambda i: i.symbol):
        level = rng.uniform(15, 400)
        drift, vol = rng.uniform(-0.0002, 0.0008), rng.uniform(0.008, 0.022)
        inst.demo_closes = {}
        for day in days:
            level *= 1 + rng.gauss(drift, vol)
            close = Decimal(repr(max(level, 1.0))).quantize(CENT)
            inst.demo_closes[day] = close
            prices.append(Price(instrument=inst, date=day, close=close))
    Price.objects.bulk_create(prices, ignore_conflicts=True, batch_size=5000)
    rates = []
    for ccy, level in (("EUR", 1.08), ("GBP", 1.27)):
        for day in days:
            level *= 1 + rng.gauss(0, 0.004)
            rates.append(
                FxRate(
                    currency=ccy,
                    date=day,
                    usd_per_unit=Decimal(repr(level)).quantize(Decimal("0.000001")),
                )
            )
    FxRate.objects.bulk_create(rates, ignore_conflicts=True)
    return instruments


FIRST_NAMES = (
    "Ava",
    "Ben",
    "Chloe",
    "Daniel",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Keira",
    "Liam",
    "Maya",
    "Nikhil",
    "Olivia",
    "Pedro",
    "Quinn",
    "Rosa",
    "Samuel",
    "Tara",
    "Umar",
    "Vera",
    "William",
    "Ximena",
    "Yusuf",
    "Zara",
)
LAST_NAMES = (
    "Abbott",
    "Bauer",
    "Castillo",
    "Dubois",
    "Evans",
    "Fernandes",
    "Gallagher",
    "Hoffmann",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quintero",
    "Rossi",
    "Sato",
    "Thompson",
    "Usman",
    "Varga",
    "Whitfield",
    "Yilmaz",
    "Zimmer",
)
PRODUCTS = {
    "individual": "Individual",
    "joint": "Joint",
    "ira": "Traditional IRA",
    "entity": "Holdings LLC",
    "sub": "Managed",
}
MASTER_STRATEGIES = ("Balanced", "Growth", "Income", "Global Equity", "Capital Preservation")


def _holder(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _title(holder: str, kind: str) -> str:
    """What a client calls the account: the holder and the product (`Ava Rossi · Joint`)."""
    if kind == "entity":
        return f"{holder.split()[-1]} Family Holdings LLC"
    if kind == "joint":
        return f"{holder} & {rng_partner(holder)} · Joint"
    return f"{holder} · {PRODUCTS.get(kind, kind.title())}"


def rng_partner(holder: str) -> str:
    # A partner's first name chosen from the holder's own letters: deterministic, no rng draw.
    return FIRST_NAMES[sum(map(ord, holder)) % len(FIRST_NAMES)]


def _accounts(rng: random.Random, tenant, demo, *, small: bool = False) -> list[Account]:
    from demo.seed import demo_logins
    from tenants.roles import CLIENT

    plan = []  # (title, type, base, margin, parent index, external_ref)
    clients = [u for u, role in demo_logins(demo) if role == CLIENT]
    names = {
        f"{_ascii_login(first)}.{_ascii_login(last)}@{demo.email_domain}": f"{first} {last}"
        for first, last in demo.clients
    }
    if demo.kind == "advisor_firm":
        advisor = f"demo:advisor@{demo.email_domain}"
        n_masters, n_subs = (4, 5) if small else (20, 19)
        for m in range(n_masters):
            strategy = MASTER_STRATEGIES[m % len(MASTER_STRATEGIES)]
            # A master and its subs share a base currency: a consolidated statement sums them.
            family = "GBP" if m % 2 else "USD"
            plan.append(
                (
                    f"{demo.name} {strategy} Model {m // len(MASTER_STRATEGIES) + 1}",
                    "master",
                    family,
                    "reg_t",
                    None,
                    advisor if m < 3 else "",
                )
            )
            master_index = len(plan) - 1
            for s in range(n_subs):
                ref = f"demo:{clients[m]}" if m < len(clients) and s == 0 else ""
                holder = names[clients[m]] if ref else _holder(rng)
                plan.append(
                    (
                        f"{holder} · {strategy} (managed)",
                        "sub",
                        family,
                        "cash",
                        master_index,
                        ref,
                    )
                )
    else:
        for i, username in enumerate(clients):
            holder = names[username]
            plan.append(
                (
                    _title(holder, "individual"),
                    "individual",
                    "USD",
                    "reg_t",
                    None,
                    f"demo:{username}",
                )
            )
            if i == 0:
                plan.append((_title(holder, "ira"), "ira", "USD", "cash", None, f"demo:{username}"))
        kinds = ["individual", "individual", "joint", "ira", "entity"]
        for i in range((40 if small else 600) - len(plan)):
            base = "USD" if i % 7 else rng.choice(["EUR", "GBP"])
            plan.append(
                (
                    _title(_holder(rng), kinds[i % 5]),
                    kinds[i % 5],
                    base,
                    "reg_t" if i % 3 == 0 else "cash",
                    None,
                    "",
                )
            )
    plan = [(tenant, *row) for row in plan]
    n_masters = sum(1 for p in plan if p[2] == "master")
    masters = account_number_next(prefix="F", count=n_masters) if n_masters else []
    others = account_number_next(prefix="U", count=len(plan) - n_masters)
    created: list[Account] = []
    for tenant, title, kind, base, margin, parent, ref in plan:
        number = masters.pop(0) if kind == "master" else others.pop(0)
        created.append(
            Account(
                tenant=tenant,
                number=number,
                title=title,
                account_type=kind,
                base_currency=base,
                margin_type=margin,
                external_ref=ref,
                parent=created[parent] if parent is not None else None,
            )
        )
    Account.objects.bulk_create([a for a in created if a.account_type == "master"])
    for account in created:
        if account.parent is not None:
            account.parent_id = account.parent.pk
    Account.objects.bulk_create([a for a in created if a.account_type != "master"])
    return created


def _simulate(rng, accounts, instruments, days, usd_rates):
    bank, fx, corp, tax = (platform_account(n).pk for n in (BANK, FX, CORPORATE_ACTIONS, TAX))
    by_ccy = {
        c: sorted((i for i in instruments.values() if i.currency == c), key=lambda i: i.symbol)
        for c in ("USD", "EUR", "GBP")
    }
    quarter_ends = [
        max(d for d in days if (d.year, d.month) == (y, m))
        for y, m in sorted({(d.year, d.month) for d in days})
        if m in (3, 6, 9, 12)
    ]
    cash_entries, executions = [], []
    for account in accounts:
        if account.account_type == "master":
            continue
        key = f"demo:{account.number}"
        cash = {account.base_currency: Decimal(0)}
        held: dict[int, Decimal] = {}
        amount = _money(min(2_000_000.0, rng.lognormvariate(10.5, 1.0)))
        start = days[rng.randrange(0, 20)]
        events = [(start, "deposit", amount)]
        if rng.random() < 0.25:
            events.append((days[rng.randrange(100, 200)], "deposit", _money(float(amount) * 0.2)))
        for day in sorted(rng.sample(days[25:], rng.randint(3, 10))):
            events.append((day, "trade", None))
        events += [(d, "dividend", None) for d in quarter_ends if d > start]
        if rng.random() < 0.3:
            other = rng.choice([c for c in ("USD", "EUR", "GBP") if c != account.base_currency])
            events.append((days[rng.randrange(20, 25)], "fx", other))
        events.sort(key=lambda e: (e[0], e[1] != "deposit"))
        for n, (day, kind, arg) in enumerate(events):
            base = account.base_currency
            if kind == "deposit":
                cash[base] = cash.get(base, Decimal(0)) + arg
                cash_entries.append(
                    BulkCashEntry(
                        "deposit",
                        day,
                        f"{key}:{n}",
                        (CashLine(account.pk, base, arg), CashLine(bank, base, -arg)),
                        "Deposit",
                    )
                )
            elif kind == "fx":
                sold = (cash.get(base, Decimal(0)) * Decimal("0.3")).quantize(CENT)
                rate = (usd_rates[base][day] / usd_rates[arg][day]).quantize(Decimal("0.000001"))
                bought = (sold * rate).quantize(CENT)
                if sold <= 0:
                    continue
                cash[base] -= sold
                cash[arg] = cash.get(arg, Decimal(0)) + bought
                cash_entries.append(
                    BulkCashEntry(
                        "fx_conversion",
                        day,
                        f"{key}:{n}",
                        (
                            CashLine(account.pk, base, -sold),
                            CashLine(fx, base, sold),
                            CashLine(account.pk, arg, bought),
                            CashLine(fx, arg, -bought),
                        ),
                        f"FX {base}.{arg} @ {rate}",
                    )
                )
            elif kind == "trade":
                _trade(rng, account, day, n, key, cash, held, instruments, by_ccy, executions)
            elif kind == "dividend":
                for inst_id, qty in held.items():
                    inst = instruments[inst_id]
                    if qty <= 0 or inst.asset_class == "ETF" or sum(map(ord, inst.symbol)) % 3:
                        continue
                    gross = (qty * inst.demo_closes[day] * Decimal("0.006")).quantize(CENT)
                    withheld = (
                        (gross * Decimal("0.15")).quantize(CENT)
                        if inst.currency != base
                        else Decimal(0)
                    )
                    lines = [
                        CashLine(account.pk, inst.currency, gross),
                        CashLine(corp, inst.currency, -gross),
                    ]
                    if withheld:
                        lines += [
                            CashLine(account.pk, inst.currency, -withheld, "tax"),
                            CashLine(tax, inst.currency, withheld, "tax"),
                        ]
                    cash[inst.currency] = cash.get(inst.currency, Decimal(0)) + gross - withheld
                    cash_entries.append(
                        BulkCashEntry(
                            "dividend",
                            day,
                            f"{key}:{n}:{inst.symbol}",
                            tuple(lines),
                            f"{inst.symbol} dividend",
                        )
                    )
        if account.pk % 211 == 0 and cash.get(account.base_currency, 0) > 100:
            out = (cash[account.base_currency] / 4).quantize(CENT)
            day = days[-3]
            cash_entries.append(
                BulkCashEntry(
                    "withdrawal",
                    day,
                    f"{key}:w",
                    (
                        CashLine(account.pk, account.base_currency, -out),
                        CashLine(bank, account.base_currency, out),
                    ),
                    "Withdrawal",
                )
            )
    return cash_entries, executions


def _trade(rng, account, day, n, key, cash, held, instruments, by_ccy, executions):
    sellable = [i for i, q in held.items() if q > 0]
    if sellable and rng.random() < 0.35:
        inst = instruments[rng.choice(sellable)]
        qty = max(Decimal(1), (held[inst.pk] * Decimal(rng.choice([0.25, 0.5, 1]))).to_integral())
        side = -1
    else:
        ccy = rng.choice([c for c, amount in cash.items() if amount > 0] or [account.base_currency])
        inst = rng.choice(by_ccy[ccy])
        price = inst.demo_closes[day]
        qty = (cash.get(ccy, Decimal(0)) * Decimal(rng.uniform(0.08, 0.3)) / price).to_integral()
        if qty < 1:
            return
        side = 1
    price = inst.demo_closes[day]
    commission = max(Decimal(1), (qty * Decimal("0.005")).quantize(CENT))
    executions.append(
        ExecutionBooking(
            execution_id=f"{key}:{n}",
            account_id=account.pk,
            instrument_id=inst.pk,
            currency=inst.currency,
            multiplier=inst.multiplier,
            quantity=qty * side,
            price=price,
            trade_date=day,
            settle_date=trade_settle_date(instrument=inst, trade_date=day),
            commission=commission,
            fees=Decimal(0),
        )
    )
    held[inst.pk] = held.get(inst.pk, Decimal(0)) + qty * side
    cash[inst.currency] = cash.get(inst.currency, Decimal(0)) - qty * side * price - commission


def _market(rng: random.Random) -> tuple[list[date], list[Instrument], dict]:
    """The demo instruments, prices and FX rates: made once, then read back."""
    if Instrument.objects.filter(symbol=BENCHMARK_SYMBOL).exists():
        days = sorted(
            set(
                Price.objects.filter(instrument__symbol=BENCHMARK_SYMBOL).values_list(
                    "date", flat=True
                )
            )
        )
        instruments = list(
            Instrument.objects.filter(description__endswith="(synthetic demo prices)")
        )
        closes: dict[int, dict] = {i.pk: {} for i in instruments}
        for inst_id, day, close in Price.objects.filter(
            instrument__in=instruments, date__in=days
        ).values_list("instrument_id", "date", "close"):
            closes[inst_id][day] = close
        for inst in instruments:
            inst.demo_closes = closes[inst.pk]
    else:
        end = timezone.localdate() - timedelta(days=1)
        days = _weekdays(end - timedelta(days=365), end)
        instruments = _instruments_and_prices(rng, days)
    usd_rates = {"USD": dict.fromkeys(days, Decimal(1))}
    for ccy in ("EUR", "GBP"):
        usd_rates[ccy] = dict(
            FxRate.objects.filter(currency=ccy, date__in=days).values_list("date", "usd_per_unit")
        )
    return days, instruments, usd_rates


@transaction.atomic
def ledger_demo_seed(*, tenant, small: bool = False) -> int:
    """Seed one demo tenant's books (and the shared market data if missing); returns the
    number of accounts opened, 0 when the tenant is seeded already. `small` opens a few dozen
    accounts per tenant instead of about 500 (the browser tests' demo)."""
    from demo.seed import DEMO_TENANTS

    demo = next((d for d in DEMO_TENANTS if d.schema_name == tenant.schema_name), None)
    if (
        demo is None
        or Account.objects.filter(tenant=tenant, external_ref__startswith="demo:").exists()
    ):
        return 0
    days, instruments, usd_rates = _market(random.Random(SEED))
    rng = random.Random(f"{SEED}:{tenant.schema_name}")
    accounts = _accounts(rng, tenant, demo, small=small)
    cash_entries, executions = _simulate(
        rng, accounts, {i.pk: i for i in instruments}, days, usd_rates
    )
    cash_entries_bulk_book(cash_entries)
    chunk_book(executions)
    nav_snapshots_rebuild(start=days[0], end=days[-1], account_ids=[a.pk for a in accounts])
    return len(accounts)
