from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from ledger.reference import validate_currency, validate_cusip, validate_figi, validate_isin

AMOUNT = {"max_digits": 28, "decimal_places": 8}
PRICE = {"max_digits": 28, "decimal_places": 10}


class Instrument(models.Model):
    """A tradable instrument. Quantities are in units (shares, contracts); value is
    quantity × price × multiplier in the instrument's currency.

    Keyed by the carrying broker's contract id (`conid`) where known, else by (symbol,
    exchange, currency): the same symbol trades on several exchanges and in several currencies,
    and an option's symbol means nothing without its underlying, expiry, strike and right.
    Every change through `ledger.services.instruments` bumps `version` and writes an
    `InstrumentChange`."""

    class AssetClass(models.TextChoices):
        STK = "STK", "Stock"
        ETF = "ETF", "ETF"
        OPT = "OPT", "Option"
        FUT = "FUT", "Future"
        FOP = "FOP", "Future option"
        BOND = "BOND", "Bond"
        FUND = "FUND", "Fund"
        CASH = "CASH", "FX pair"
        CRYPTO = "CRYPTO", "Crypto"

    class Right(models.TextChoices):
        PUT = "P", "Put"
        CALL = "C", "Call"

    symbol = models.CharField(max_length=32)
    conid = models.BigIntegerField(unique=True, null=True, blank=True)
    isin = models.CharField(max_length=12, blank=True, validators=[validate_isin])
    cusip = models.CharField(max_length=9, blank=True, validators=[validate_cusip])
    figi = models.CharField(max_length=12, blank=True, validators=[validate_figi])
    description = models.CharField(max_length=200, blank=True)
    asset_class = models.CharField(max_length=8, choices=AssetClass.choices)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    multiplier = models.DecimalField(max_digits=18, decimal_places=6, default=Decimal(1))
    # The exchange the instrument is keyed and settled by (its market calendar); the listing
    # exchange is where it is primarily listed (IBKR's `listingExchange`).
    exchange = models.CharField(max_length=16, blank=True)
    listing_exchange = models.CharField(max_length=16, blank=True)
    underlying = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="derivatives"
    )
    expiry = models.DateField(null=True, blank=True)
    strike = models.DecimalField(**PRICE, null=True, blank=True)
    right = models.CharField(max_length=1, choices=Right.choices, blank=True)
    # Business days from trade to settlement; None means the default for the asset class.
    settlement_days = models.PositiveSmallIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["symbol", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["symbol", "exchange", "currency"],
                condition=Q(conid__isnull=True),
                name="instrument_key_without_conid",
            ),
            models.CheckConstraint(
                condition=Q(strike__isnull=True) | Q(strike__gte=0),
                name="instrument_strike_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(multiplier__gt=0), name="instrument_multiplier_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.symbol


class InstrumentChange(models.Model):
    """The audit of the instrument master: who or what changed which fields, from what to what,
    giving which version. Written by `ledger.services.instruments` in the transaction of the
    change; never updated."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="changes")
    version = models.PositiveIntegerField()
    changed_at = models.DateTimeField()
    # flex, csv, console, admin, ...
    source = models.CharField(max_length=32)
    actor = models.CharField(max_length=200, blank=True)
    # field → [old, new], as text
    changes = models.JSONField()

    class Meta:
        ordering = ["instrument_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "version"], name="instrument_change_once")
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} v{self.version} {self.source}"


class Price(models.Model):
    # The (instrument, date) unique index serves reads by instrument, newest first, with no sort.
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="prices", db_index=False
    )
    date = models.DateField()
    close = models.DecimalField(**PRICE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instrument", "date"], name="price_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.date} {self.close}"


class FxRate(models.Model):
    """Units of USD for one unit of `currency` at the close of `date`."""

    currency = models.CharField(max_length=3, validators=[validate_currency])
    date = models.DateField()
    usd_per_unit = models.DecimalField(**PRICE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["currency", "date"], name="fx_unique_day")]

    def __str__(self) -> str:
        return f"{self.currency} {self.date} {self.usd_per_unit}"


class Account(models.Model):
    """A brokerage account in the shared books, owned by one tenant.

    Masters (advisor masters, `F…`) form a tree with their sub-accounts and hold no positions of
    their own. Platform accounts (clearing, fees, FX) have no tenant and take the other side of
    postings.
    """

    class Type(models.TextChoices):
        INDIVIDUAL = "individual", "Individual"
        JOINT = "joint", "Joint"
        IRA = "ira", "IRA"
        ENTITY = "entity", "Entity"
        MASTER = "master", "Advisor master"
        SUB = "sub", "Sub-account"
        PLATFORM = "platform", "Platform"

    class MarginType(models.TextChoices):
        CASH = "cash", "Cash"
        REG_T = "reg_t", "Reg T margin"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESTRICTED = "restricted", "Restricted"
        CLOSED = "closed", "Closed"

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="accounts", null=True, blank=True
    )
    number = models.CharField(max_length=16, unique=True)
    title = models.CharField(max_length=200)
    account_type = models.CharField(max_length=16, choices=Type.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="subs"
    )
    base_currency = models.CharField(max_length=3, default="USD")
    margin_type = models.CharField(
        max_length=8, choices=MarginType.choices, default=MarginType.CASH
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    # The owner's reference in the system that opened the account (an onboarding application,
    # a demo login), so that system can find its accounts again.
    external_ref = models.CharField(max_length=128, blank=True, db_index=True)
    # A paper (simulated) account: it trades on the simulated venue with paper money, and is
    # left out of statements, exception reports and regulatory figures.
    is_paper = models.BooleanField(default=False)

    class Meta:
        ordering = ["number"]
        # Object permissions granted per tenant user with django-guardian (view_account is
        # Django's default): trade, fund (deposits/withdrawals/transfers) and report.
        permissions = [
            ("trade_account", "Can trade in the account"),
            ("fund_account", "Can move money in and out of the account"),
            ("report_account", "Can run reports and statements on the account"),
        ]
        indexes = [
            models.Index(fields=["tenant", "number"]),
            # The Broker Portal's listing: the masters offered as a filter, the currencies
            # offered (read by skipping through the index), and the substring search of
            # `desk.filters.AccountFilter` (trigram indexes on the upper-cased text that
            # `icontains` compares).
            models.Index(fields=["tenant", "account_type", "number"], name="account_tenant_type"),
            models.Index(fields=["tenant", "base_currency"], name="account_tenant_currency"),
            models.Index(fields=["tenant", "title"], name="account_tenant_title"),
            models.Index(fields=["tenant", "opened_at"], name="account_tenant_opened"),
            GinIndex(OpClass(Upper("title"), name="gin_trgm_ops"), name="account_title_trgm"),
            GinIndex(OpClass(Upper("number"), name="gin_trgm_ops"), name="account_number_trgm"),
            GinIndex(
                OpClass(Upper("external_ref"), name="gin_trgm_ops"), name="account_extref_trgm"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(account_type="platform") | Q(tenant__isnull=False),
                name="account_client_has_tenant",
            ),
            models.CheckConstraint(
                condition=~Q(account_type="sub") | Q(parent__isnull=False),
                name="account_sub_has_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_platform(self) -> bool:
        return self.account_type == self.Type.PLATFORM


class JournalEntry(models.Model):
    """One immutable booking. Its postings sum to zero per asset. The database refuses UPDATE
    and DELETE on posted rows (migration 0003); a correction is a reversal entry."""

    class Kind(models.TextChoices):
        TRADE = "trade", "Trade"
        DEPOSIT = "deposit", "Deposit"
        WITHDRAWAL = "withdrawal", "Withdrawal"
        CASH_TRANSFER = "cash_transfer", "Internal cash transfer"
        POSITION_TRANSFER = "position_transfer", "Position transfer"
        DIVIDEND = "dividend", "Dividend"
        WITHHOLDING_TAX = "withholding_tax", "Withholding tax"
        INTEREST = "interest", "Interest"
        FEE = "fee", "Fee"
        FX_CONVERSION = "fx_conversion", "FX conversion"
        STOCK_SPLIT = "stock_split", "Stock split"
        REVERSAL = "reversal", "Reversal"
        PAYMENT_IN_LIEU = "payment_in_lieu", "Payment in lieu of dividend"
        CORPORATE_ACTION = "corporate_action", "Corporate action"
        OPTION_EVENT = "option_event", "Option exercise, assignment or expiry"
        OPENING_BALANCE = "opening_balance", "Opening balance"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    trade_date = models.DateField()
    settle_date = models.DateField()
    idempotency_key = models.CharField(max_length=128, unique=True)
    execution_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    memo = models.CharField(max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # New shares per old share for a stock split (2 for a 2-for-1 split).
    split_ratio = models.DecimalField(max_digits=18, decimal_places=8, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        # settle_date: "not yet settled" (settle date after today) is a handful of recent
        # entries; without the index every cash read scanned the whole journal for them.
        indexes = [models.Index(fields=["trade_date"]), models.Index(fields=["settle_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(settle_date__gte=models.F("trade_date")), name="entry_settles_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.trade_date} #{self.pk}"


def _unchecked_key(to, *, on_delete, related_name: str, **options) -> models.ForeignKey:
    """A foreign key of the journal's and lots' hot rows: no database constraint and no index of
    its own (see the note in `Posting`)."""
    return models.ForeignKey(
        to,
        on_delete=on_delete,
        related_name=related_name,
        db_constraint=False,
        db_index=False,
        **options,
    )


class Posting(models.Model):
    """One leg: an account gains (positive) or gives (negative) a quantity of one asset, either
    an instrument or a currency. `price` is the unit price of an instrument leg (trade price,
    or the cost at which a position moves); lots are opened and closed at it."""

    class Role(models.TextChoices):
        PRINCIPAL = "principal", "Principal"
        COMMISSION = "commission", "Commission"
        FEE = "fee", "Fee"
        TAX = "tax", "Tax"
        # A lot carried over with its basis and acquisition date (reorganisations, opening
        # balances): moves lots without realizing (`ledger.domain.lots`).
        CARRY = "carry", "Lot carried over"

    # No single-column indexes on entry, account and instrument: the key serves reads by entry
    # and the (account, instrument, currency) index reads by account, and every index slows the
    # bulk import. No database foreign keys on the journal's and lots' hot rows either
    # (`db_constraint=False`): PostgreSQL checks a foreign key row by row, which halved the bulk
    # import's rate. Their integrity holds otherwise: every writer takes ids from rows it just
    # read or wrote in the same transaction; entries cannot be deleted (trigger, migration 0003),
    # nor can accounts and instruments that have postings (trigger, migration 0007);
    # `ledger_verify` reports any posting, lot or gain whose account, instrument or entry is
    # missing.
    # Known by (entry, leg): the key's index also serves reads by entry, and there is no
    # separate id column or sequence to maintain for the millions of rows an import writes.
    pk = models.CompositePrimaryKey("entry_id", "leg")
    entry = _unchecked_key(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    # The posting's place in its entry, from 0.
    leg = models.SmallIntegerField()
    account = _unchecked_key(Account, on_delete=models.PROTECT, related_name="postings")
    instrument = _unchecked_key(
        Instrument, on_delete=models.PROTECT, related_name="postings", null=True, blank=True
    )
    currency = models.CharField(max_length=3, blank=True)
    quantity = models.DecimalField(**AMOUNT)
    price = models.DecimalField(**PRICE, null=True, blank=True)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.PRINCIPAL)
    # Of an instrument leg: the costs of the trade in the instrument's currency (commissions,
    # fees, transfer taxes), which enter the lot's basis on a purchase and reduce the amount
    # realized on a sale (IRS Publication 550, "Basis of Investment Property" and "Amount
    # realized"). None: no costs.
    cost = models.DecimalField(**AMOUNT, null=True, blank=True)
    # Of an instrument leg that carries a lot over (a reorganisation, an opening balance, a
    # transfer in): the lot's original acquisition date, so its holding period runs on (IRC
    # §1223). None: the entry's trade date.
    acquired = models.DateField(null=True, blank=True)

    class Meta:
        # One index serves reads by account, by (account, instrument) and, with `instrument IS
        # NULL`, by (account, currency): cash legs sort after the instrument legs of an account.
        # Two separate indexes cost a third of the bulk import's posting writes.
        indexes = [
            models.Index(fields=["account", "instrument", "currency"], name="posting_account_asset")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(instrument__isnull=False, currency="")
                | Q(instrument__isnull=True) & ~Q(currency=""),
                name="posting_one_asset",
            ),
            models.CheckConstraint(condition=~Q(quantity=0), name="posting_nonzero"),
        ]

    def __str__(self) -> str:
        asset = self.instrument_id or self.currency
        return f"#{self.entry_id} {self.account_id} {asset} {self.quantity}"


# Projections: derived from the journal in the same transaction, rebuildable (ledger_verify).
# Platform accounts have none (their balances are read from the journal when needed).


class Position(models.Model):
    # The (account, instrument) unique index serves reads by account.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="positions", db_index=False
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**AMOUNT, default=Decimal(0))
    # Sum of open lots' quantity × price (instrument currency, before multiplier).
    cost = models.DecimalField(**AMOUNT, default=Decimal(0))
    realized_pnl = models.DecimalField(**AMOUNT, default=Decimal(0))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "instrument"], name="position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.instrument_id} {self.quantity}"


class CashBalance(models.Model):
    """Trade-date cash per currency. Settled cash = this less postings not yet settled; the row
    is the lock taken by every cash movement of the account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="cash_balances")
    currency = models.CharField(max_length=3)
    quantity = models.DecimalField(**AMOUNT, default=Decimal(0))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "currency"], name="cash_unique")]
        # Negative balances (the listing's cash filter, the exception report): a small share.
        indexes = [
            models.Index(fields=["account"], condition=Q(quantity__lt=0), name="cash_negative")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.currency} {self.quantity}"


class TaxLot(models.Model):
    """An open lot (FIFO). Negative quantity is a short lot."""

    # Foreign keys without database constraints: see Posting.
    # The (account, instrument, sequence) index serves reads by account and by pair.
    account = _unchecked_key(Account, on_delete=models.CASCADE, related_name="lots")
    instrument = _unchecked_key(Instrument, on_delete=models.PROTECT, related_name="+")
    # Lots are never looked up by their opening entry (entries cannot be deleted).
    opened_by = _unchecked_key(JournalEntry, on_delete=models.PROTECT, related_name="+")
    open_date = models.DateField()
    sequence = models.PositiveIntegerField()
    quantity = models.DecimalField(**AMOUNT)
    price = models.DecimalField(**PRICE)

    class Meta:
        ordering = ["account_id", "instrument_id", "sequence"]
        indexes = [models.Index(fields=["account", "instrument", "sequence"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.instrument_id} {self.quantity} @ {self.price}"


class RealizedGain(models.Model):
    """A lot (part) closed by a closing trade: (close − open) × quantity × multiplier."""

    # Foreign keys without database constraints: see Posting.
    # The (account, close_date) index serves reads by account.
    account = _unchecked_key(Account, on_delete=models.CASCADE, related_name="realized")
    instrument = _unchecked_key(Instrument, on_delete=models.PROTECT, related_name="+")
    closed_by = _unchecked_key(JournalEntry, on_delete=models.PROTECT, related_name="+")
    open_date = models.DateField()
    close_date = models.DateField()
    quantity = models.DecimalField(**AMOUNT)
    open_price = models.DecimalField(**PRICE)
    close_price = models.DecimalField(**PRICE)
    pnl = models.DecimalField(**AMOUNT)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "close_date"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.instrument_id} {self.pnl}"


class NavSnapshot(models.Model):
    """An account's net liquidation value at the close of a day, in its base currency, with the
    day's external flows (deposits less withdrawals) and P&L."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="nav_history")
    date = models.DateField()
    nav = models.DecimalField(**AMOUNT)
    cash = models.DecimalField(**AMOUNT)
    positions_value = models.DecimalField(**AMOUNT)
    flows = models.DecimalField(**AMOUNT, default=Decimal(0))
    pnl = models.DecimalField(**AMOUNT, default=Decimal(0))

    class Meta:
        ordering = ["account_id", "date"]
        constraints = [models.UniqueConstraint(fields=["account", "date"], name="nav_unique_day")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.date} {self.nav}"


class BrokerAccountMapping(models.Model):
    """The carrying broker's account id (IBKR Flex `accountId`) of a ledger account, edited by
    the operator; without one, an account whose `external_ref` equals the id is taken."""

    broker_account_id = models.CharField(max_length=32, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="broker_ids")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.broker_account_id} → {self.account_id}"


class BrokerStatement(models.Model):
    """What a carrying broker's statement says an account holds at its end, kept to reconcile
    the ledger against: positions per contract, ending cash per currency and the realized P&L
    of each closing trade (`BrokerStatementLine`). Imported again, a statement's lines are
    replaced (they are the broker's view, not bookings)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="broker_statements")
    broker_account_id = models.CharField(max_length=32)
    from_date = models.DateField()
    to_date = models.DateField()
    file_sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["account_id", "-to_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "from_date", "to_date"], name="broker_statement_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.broker_account_id} {self.from_date}–{self.to_date}"


class BrokerStatementLine(models.Model):
    class Kind(models.TextChoices):
        POSITION = "position", "Position"
        CASH = "cash", "Ending cash"
        REALIZED = "realized", "Realized P&L"

    statement = models.ForeignKey(BrokerStatement, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # conid (position), currency (cash) or the closing trade's idempotency key (realized)
    key = models.CharField(max_length=128)
    label = models.CharField(max_length=100, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    value = models.DecimalField(**AMOUNT)

    class Meta:
        ordering = ["statement_id", "kind", "key"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "kind", "key"], name="broker_line_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.value}"
