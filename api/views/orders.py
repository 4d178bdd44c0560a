"""Orders, through the trading services the client portal's ticket uses
(`trading.services.order_submit`, `order_cancel`, `trading.services.preview.order_preview`)
and the same access (`trading.access.access_order`, `ledger.access.access_account`).

`POST /orders/preview/` is the what-if: the pre-trade checks' answers (block, warn, info) and
the cost, commission and buying power before and after, nothing stored. `POST /orders/`
submits: a blocking check stores the order `rejected` with the reasons (201, as the ticket);
warnings must be confirmed by code in `confirm` (else 409 with the warnings, nothing stored).
A client's order on a real account waits for the disclosures of its region, as on the ticket.
"""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.errors import Conflict
from api.permissions import write_scope
from api.views.base import ApiViewSet
from clientportal.services import disclosures_accepted_check
from ledger.access import access_account, accounts_visible
from ledger.models import Account
from ledger.selectors import instruments_by_symbol
from trading.access import access_order
from trading.models import Order
from trading.services import ConfirmationRequired, Ticket, order_cancel, order_submit
from trading.services.preview import order_preview
from trading.states import FINAL, OPEN, TransitionRefused

AMOUNT = {"max_digits": 28, "decimal_places": 8}
PRICE = {"max_digits": 28, "decimal_places": 10}
STATES = ("open", "filled", "cancelled", "all")


class OrderFillSerializer(serializers.Serializer):
    execution_id = serializers.CharField()
    quantity = serializers.DecimalField(**AMOUNT)
    price = serializers.DecimalField(**PRICE)
    commission = serializers.DecimalField(**AMOUNT)
    executed_at = serializers.DateTimeField()


class CheckSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.ChoiceField(choices=["block", "warn", "info"])
    reason = serializers.CharField()
    figures = serializers.DictField(child=serializers.CharField(allow_null=True))


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.CharField(source="account.number")
    symbol = serializers.CharField(source="instrument.symbol")
    instrument = serializers.IntegerField(source="instrument_id")
    side = serializers.CharField()
    order_type = serializers.CharField()
    time_in_force = serializers.CharField()
    quantity = serializers.DecimalField(**AMOUNT)
    cash_amount = serializers.DecimalField(**AMOUNT, allow_null=True)
    limit_price = serializers.DecimalField(**PRICE, allow_null=True)
    stop_price = serializers.DecimalField(**PRICE, allow_null=True)
    status = serializers.CharField()
    filled_quantity = serializers.DecimalField(**AMOUNT)
    avg_fill_price = serializers.DecimalField(**PRICE, allow_null=True)
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    bracket_role = serializers.CharField(allow_blank=True)
    is_paper = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    checks = CheckSerializer(many=True)
    preview = serializers.DictField(child=serializers.CharField(allow_null=True))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    fills = serializers.SerializerMethodField()

    def get_fills(self, order) -> list[dict]:
        return OrderFillSerializer(order.fills.all(), many=True).data


class TicketSerializer(serializers.Serializer):
    account = serializers.IntegerField(min_value=1)
    instrument = serializers.IntegerField(min_value=1, required=False)
    symbol = serializers.CharField(max_length=32, required=False)
    side = serializers.ChoiceField(choices=["buy", "sell", "sell_short", "buy_to_cover"])
    quantity = serializers.DecimalField(**AMOUNT, required=False, allow_null=True)
    cash_amount = serializers.DecimalField(**AMOUNT, required=False, allow_null=True)
    order_type = serializers.ChoiceField(choices=Order.Type.values, default="market")
    time_in_force = serializers.ChoiceField(choices=Order.TimeInForce.values, default="day")
    limit_price = serializers.DecimalField(**PRICE, required=False, allow_null=True)
    stop_price = serializers.DecimalField(**PRICE, required=False, allow_null=True)
    take_profit_price = serializers.DecimalField(**PRICE, required=False, allow_null=True)
    stop_loss_price = serializers.DecimalField(**PRICE, required=False, allow_null=True)
    confirm = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, default=list
    )

    def validate(self, attrs):
        if not attrs.get("instrument") and not attrs.get("symbol"):
            raise serializers.ValidationError({"instrument": "Give the instrument or its symbol."})
        return attrs


class PreviewSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    currency = serializers.CharField()
    base_currency = serializers.CharField()
    quantity = serializers.DecimalField(**AMOUNT)
    price = serializers.DecimalField(**PRICE, allow_null=True)
    value = serializers.DecimalField(**AMOUNT)
    commission = serializers.DecimalField(**AMOUNT)
    total = serializers.DecimalField(**AMOUNT)
    buying_power_before = serializers.DecimalField(**AMOUNT, allow_null=True)
    buying_power_after = serializers.DecimalField(**AMOUNT, allow_null=True)
    excess_liquidity_before = serializers.DecimalField(**AMOUNT, allow_null=True)
    excess_liquidity_after = serializers.DecimalField(**AMOUNT, allow_null=True)
    checks = serializers.SerializerMethodField()

    def get_checks(self, preview) -> list[dict]:
        return [_check(r) for r in preview.results]


def _check(result) -> dict:
    return {
        "code": result.code,
        "severity": result.severity,
        "reason": result.reason,
        "figures": {k: None if v is None else str(v) for k, v in result.figures.items()},
    }


TICKET_EXAMPLE = OpenApiExample(
    "A limit buy",
    value={
        "account": 1201,
        "symbol": "AAPL",
        "side": "buy",
        "quantity": "10",
        "order_type": "limit",
        "limit_price": "185.00",
        "time_in_force": "day",
        "confirm": ["concentration"],
    },
    request_only=True,
)


def _orders_visible(request):
    visible = accounts_visible(user=request.user, tenant=request.tenant).values("pk")
    return (
        Order.objects.filter(account_id__in=visible)
        .select_related("instrument", "account")
        .prefetch_related("fills")
    )


@write_scope("trade")
class OrderViewSet(ApiViewSet):
    """`GET /orders/?state=open|filled|cancelled|all` (default open), newest first; each order
    with its fills by id; submit, preview, cancel."""

    serializer_class = OrderSerializer
    lookup_value_regex = r"\d+"
    pagination_class = type("OrderCursor", (ApiViewSet.pagination_class,), {"ordering": "-id"})

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return _orders_visible(self.request)

    def _ticket(self, request) -> tuple[Ticket, list[str], Account]:
        checked = TicketSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        data = checked.validated_data
        account = access_account(
            user=request.user, tenant=request.tenant, account_id=data["account"], need="trade"
        )
        if account.account_type == Account.Type.MASTER:
            raise ValidationError("A master account trades in blocks; order in a sub-account.")
        instrument_id = data.get("instrument")
        if not instrument_id:
            symbol = data["symbol"].strip().upper()
            found = instruments_by_symbol(tenant=request.tenant, symbols=[symbol]).get(symbol)
            if found is None:
                raise ValidationError(f"No instrument with the symbol {symbol}.")
            instrument_id = found.pk
        ticket = Ticket.from_fields(data, account_id=account.pk, instrument_id=instrument_id)
        return ticket, data["confirm"], account

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=list(STATES))],
        responses=OrderSerializer(many=True),
    )
    def list(self, request):
        state = request.query_params.get("state", "open")
        orders = self.get_queryset()
        if state == "open":
            orders = orders.filter(status__in=sorted(OPEN))
        elif state == "filled":
            orders = orders.filter(status="filled") | orders.filter(
                status__in=sorted(FINAL - {"filled"}), filled_quantity__gt=0
            )
        elif state == "cancelled":
            orders = orders.filter(status__in=sorted(FINAL - {"filled"}))
        return self.paginated(orders.order_by(), OrderSerializer)

    @extend_schema(responses=OrderSerializer)
    def retrieve(self, request, pk=None):
        order = access_order(user=request.user, tenant=request.tenant, order_id=pk)
        return Response(OrderSerializer(order).data)

    @extend_schema(request=TicketSerializer, responses=PreviewSerializer, examples=[TICKET_EXAMPLE])
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """The what-if of a ticket: nothing is stored."""
        ticket, _, _ = self._ticket(request)
        shown = order_preview(user=request.user, tenant=request.tenant, ticket=ticket)
        return Response(PreviewSerializer(shown).data)

    @extend_schema(
        request=TicketSerializer, responses={201: OrderSerializer}, examples=[TICKET_EXAMPLE]
    )
    def create(self, request):
        ticket, confirm, account = self._ticket(request)
        if not account.is_paper and not request.user.is_staff:
            disclosures_accepted_check(user=request.user)
        try:
            order = order_submit(
                user=request.user, tenant=request.tenant, ticket=ticket, confirmed=confirm
            )
        except ConfirmationRequired as unconfirmed:
            codes = ", ".join(w.code for w in unconfirmed.warnings)
            raise Conflict(
                f"Confirm each warning to place the order (confirm: {codes}): {unconfirmed}"
            ) from None
        order = _orders_visible(request).get(pk=order.pk)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = access_order(user=request.user, tenant=request.tenant, order_id=pk, need="trade")
        try:
            order_cancel(order=order, actor=request.user)
        except TransitionRefused as refused:
            raise Conflict(str(refused)) from None
        return Response(OrderSerializer(_orders_visible(request).get(pk=order.pk)).data)
