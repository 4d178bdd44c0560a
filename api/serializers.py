"""Representations of the API: decimals as strings, times in ISO 8601 with offset."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Expression, F, Func, TextField
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from clientportal.models import DepositNotice, Message, MessageThread, WithdrawalRequest
from events.models import KINDS, Event, WebhookDelivery, WebhookEndpoint

MONEY = {"max_digits": 20, "decimal_places": 2}
AMOUNT = {"max_digits": 28, "decimal_places": 8}


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    account_type = serializers.CharField()
    master = serializers.SerializerMethodField()
    base_currency = serializers.CharField()
    margin_type = serializers.CharField()
    status = serializers.CharField()
    opened_at = serializers.DateTimeField()

    def get_master(self, account) -> str | None:
        return account.parent.number if account.parent_id and account.parent else None


def _datetime_writer(field: serializers.DateTimeField):
    """`field.to_representation` of aware datetimes, with the field's format and time zone
    looked up once (per value, the current time zone's lookup was most of the cost of a list):
    ISO 8601 in the zone, UTC as `Z`, as DRF writes it."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if output_format is None or output_format.lower() != ISO_8601 or zone is None:
        return field.to_representation

    def write(value):
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write


def account_rows(queryset):
    """`queryset` of accounts as the rows `AccountRowSerializer` represents: values, so a page
    of 1,000 accounts builds no model instance and parses no timestamp text (cursor
    pagination reads `number` from each row as from an instance)."""
    from ledger.selectors.accounts import microseconds_of

    return queryset.values(
        "pk",
        "number",
        "title",
        "account_type",
        "parent__number",
        "base_currency",
        "margin_type",
        "status",
        opened_us=microseconds_of("opened_at"),
    )


class AccountRowSerializer(AccountSerializer):
    """`AccountSerializer` of the rows of `account_rows`: the same representation, written
    straight from each row rather than through a field object per value."""

    def to_representation(self, row):
        from ledger.selectors.accounts import instant_of

        write = self.__dict__.get("_opened_at_writer")
        if write is None:
            write = self._opened_at_writer = _datetime_writer(self.fields["opened_at"])
        return {
            "id": row["pk"],
            "number": row["number"],
            "title": row["title"],
            "account_type": row["account_type"],
            "master": row["parent__number"],
            "base_currency": row["base_currency"],
            "margin_type": row["margin_type"],
            "status": row["status"],
            "opened_at": write(instant_of(row["opened_us"])),
        }


class JsonObjectText(Expression):
    """`json_build_object('key', column, ...)::text`: a row as the JSON text of an object with
    the given keys in the given order, written by PostgreSQL (its JSON escaping of strings is
    RFC 8259's, as Python's `json`). The keys are the code's own names, never input."""

    output_field = TextField()

    def __init__(self, **columns):
        super().__init__()
        self.keys = list(columns)
        self.columns = [c if hasattr(c, "resolve_expression") else F(c) for c in columns.values()]

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def as_sql(self, compiler, connection):
        parts, params = [], []
        for key, column in zip(self.keys, self.columns, strict=True):
            sql, column_params = compiler.compile(column)
            parts.append(f"'{key}', {sql}")
            params.extend(column_params)
        return f"json_build_object({', '.join(parts)})::text", params


class IsoUtcText(Func):
    """A `timestamptz` as DRF writes it in UTC (`datetime.isoformat()` with `Z` for +00:00):
    `YYYY-MM-DDTHH:MM:SS`, then `.ffffff` only when the microseconds are not zero."""

    template = (
        "(to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        " || CASE WHEN to_char(%(expressions)s, 'US') = '000000' THEN ''"
        " ELSE '.' || to_char(%(expressions)s, 'US') END || 'Z')"
    )
    output_field = TextField()


def account_json_rows(queryset):
    """`queryset` of accounts as (number, JSON text of `AccountSerializer`'s representation)
    rows, the JSON written by PostgreSQL: a page of 1,000 accounts costs no Python per field.
    Only for the representation in UTC (the project's TIME_ZONE): `account_json_rows_apply`
    tells."""
    return queryset.values(
        "number",
        row_json=JsonObjectText(
            id="pk",
            number="number",
            title="title",
            account_type="account_type",
            master="parent__number",
            base_currency="base_currency",
            margin_type="margin_type",
            status="status",
            opened_at=IsoUtcText("opened_at"),
        ),
    )


def account_json_rows_apply() -> bool:
    """Whether `account_json_rows` writes what `AccountSerializer` would: ISO 8601 output of
    datetimes, in UTC."""
    field = AccountSerializer().fields["opened_at"]
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    return (
        output_format is not None
        and output_format.lower() == ISO_8601
        and zone is not None
        and zone.utcoffset(None) == timedelta(0)
        and getattr(zone, "key", "UTC") in ("UTC", "Etc/UTC")
    )


class MasterSerializer(AccountSerializer):
    subs = serializers.SerializerMethodField()

    def get_subs(self, account) -> list[str]:
        visible = self.context.get("visible_ids")
        return [s.number for s in account.subs.all() if visible is None or s.pk in visible]


class PositionSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.number")
    conid = serializers.IntegerField(source="instrument.conid", allow_null=True)
    symbol = serializers.CharField(source="instrument.symbol")
    asset_class = serializers.CharField(source="instrument.asset_class")
    currency = serializers.CharField(source="instrument.currency")
    quantity = serializers.DecimalField(**AMOUNT)
    cost = serializers.DecimalField(**AMOUNT)
    realized_pnl = serializers.DecimalField(**AMOUNT)


class CashRowSerializer(serializers.Serializer):
    currency = serializers.CharField()
    balance = serializers.DecimalField(**AMOUNT)
    settled = serializers.DecimalField(**AMOUNT)
    withdrawable = serializers.DecimalField(**AMOUNT)


class CashSerializer(serializers.Serializer):
    base_currency = serializers.CharField()
    total = serializers.DecimalField(**AMOUNT)
    settled_total = serializers.DecimalField(**AMOUNT)
    rows = CashRowSerializer(many=True)


class ActivitySerializer(serializers.Serializer):
    entry_id = serializers.IntegerField()
    kind = serializers.CharField()
    trade_date = serializers.DateField()
    settle_date = serializers.DateField()
    account_number = serializers.CharField()
    memo = serializers.CharField(allow_blank=True)
    symbol = serializers.CharField(allow_blank=True)
    quantity = serializers.DecimalField(**AMOUNT)
    price = serializers.DecimalField(**AMOUNT, allow_null=True)
    currency = serializers.CharField(allow_blank=True)
    amount = serializers.DecimalField(**AMOUNT)
    commission = serializers.DecimalField(**AMOUNT)
    execution_id = serializers.CharField(allow_null=True)


class ValuationSerializer(serializers.Serializer):
    base_currency = serializers.CharField()
    cash = serializers.DecimalField(**AMOUNT)
    settled_cash = serializers.DecimalField(**AMOUNT)
    long_value = serializers.DecimalField(**AMOUNT)
    short_value = serializers.DecimalField(**AMOUNT)
    nlv = serializers.DecimalField(**AMOUNT)
    initial_margin = serializers.DecimalField(**AMOUNT)
    maintenance_margin = serializers.DecimalField(**AMOUNT)
    excess_liquidity = serializers.DecimalField(**AMOUNT)
    buying_power = serializers.DecimalField(**AMOUNT)
    unrealized_pnl = serializers.DecimalField(**AMOUNT)
    realized_pnl = serializers.DecimalField(**AMOUNT)
    daily_pnl = serializers.DecimalField(**AMOUNT)


class RangeSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    benchmark = serializers.CharField(required=False, max_length=32)

    def validate(self, attrs):
        if attrs["start"] > attrs["end"]:
            raise serializers.ValidationError("start is after end.")
        return attrs


class ReturnSerializer(serializers.Serializer):
    cumulative = serializers.DecimalField(max_digits=40, decimal_places=12, allow_null=True)
    annualized = serializers.DecimalField(max_digits=40, decimal_places=12, allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class PerformanceSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    base_currency = serializers.CharField()
    twr = ReturnSerializer(allow_null=True)
    mwr = serializers.SerializerMethodField()
    benchmark_symbol = serializers.CharField(allow_null=True)
    benchmark = ReturnSerializer(allow_null=True)
    note = serializers.CharField(allow_blank=True)

    def get_mwr(self, report) -> dict | None:
        if report.mwr is None:
            return None
        m = report.mwr
        return {
            "cumulative": None if m.period_return is None else str(m.period_return),
            "annualized": None if m.annualized is None else str(m.annualized),
            "reason": m.reason,
            "rule": m.rule,
        }


class NavPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    account = serializers.CharField(source="account.number")
    nav = serializers.DecimalField(**AMOUNT)
    flows = serializers.DecimalField(**AMOUNT)


class WithdrawalSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.number", read_only=True)

    class Meta:
        model = WithdrawalRequest
        fields = [
            "id",
            "account",
            "amount",
            "currency",
            "destination",
            "status",
            "created_at",
            "decided_at",
            "decision_note",
            "journal_entry_id",
        ]
        read_only_fields = fields


class WithdrawalCreateSerializer(serializers.Serializer):
    account = serializers.IntegerField(min_value=1)
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))
    currency = serializers.RegexField(r"^[A-Z]{3}$")
    destination = serializers.CharField(max_length=200)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class DepositNoticeSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.number", read_only=True)

    class Meta:
        model = DepositNotice
        fields = [
            "id",
            "account",
            "amount",
            "currency",
            "method",
            "reference",
            "expected_on",
            "created_at",
        ]
        read_only_fields = fields


class DepositNoticeCreateSerializer(serializers.Serializer):
    account = serializers.IntegerField(min_value=1)
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))
    currency = serializers.RegexField(r"^[A-Z]{3}$")
    method = serializers.ChoiceField(choices=["wire", "ach", "check"])
    expected_on = serializers.DateField()
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class InternalTransferSerializer(serializers.Serializer):
    from_account = serializers.IntegerField(min_value=1)
    to_account = serializers.IntegerField(min_value=1)
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))
    currency = serializers.RegexField(r"^[A-Z]{3}$")


class JournalEntrySerializer(serializers.Serializer):
    entry_id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    trade_date = serializers.DateField()
    settle_date = serializers.DateField()


class ThreadSerializer(serializers.ModelSerializer):
    class Meta:
        model = MessageThread
        fields = ["id", "subject", "created_at", "last_message_at"]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "from_staff", "body", "sent_at"]
        read_only_fields = fields


class ThreadCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=5000)


class MessagePostSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


class EventSerializer(serializers.ModelSerializer):
    id = serializers.CharField()

    class Meta:
        model = Event
        fields = ["id", "kind", "created_at", "subject", "account_id", "data"]
        read_only_fields = fields


class EventPageSerializer(serializers.Serializer):
    events = EventSerializer(many=True)
    next_after = serializers.CharField()


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "kinds",
            "active",
            "consecutive_failures",
            "disabled_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=KINDS), required=False, default=list
    )


class WebhookCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField()

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "last_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields
