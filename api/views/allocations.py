"""Allocations under /api/v1/allocations/: the same selectors, access helpers and
Actions as the Broker Portal screens (allocations.views, allocations.capture_views), with the
same permissions. A refused verb answers 409 with the reason (problem details, api.errors);
another tenant's or an ungranted object is 404; every POST takes an `Idempotency-Key`."""

from django.core.exceptions import ValidationError
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from allocations import selectors
from allocations.access import access_allocation, access_block, access_group
from allocations.actions import (
    AllocationBook,
    AllocationPreview,
    AllocationReverse,
    BlockCapture,
    BlockFillAdd,
)
from allocations.services.blocks import FillSpec
from allocations.views import allocation_fixml_response
from api.permissions import write_scope
from api.views.base import ApiView
from ledger.access import access_account
from ledger.selectors import instruments_by_symbol

AMOUNT = {"max_digits": 28, "decimal_places": 8}


class AllocationLineSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.number")
    priority = serializers.IntegerField()
    quantity = serializers.DecimalField(**AMOUNT)
    exact_share = serializers.DecimalField(max_digits=40, decimal_places=12)
    principal = serializers.DecimalField(**AMOUNT)
    commission = serializers.DecimalField(**AMOUNT)
    fees = serializers.DecimalField(**AMOUNT)
    explanation = serializers.CharField()


class AllocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    block = serializers.CharField(source="block.reference")
    group = serializers.CharField(source="group.name")
    state = serializers.CharField()
    method = serializers.CharField()
    quantity = serializers.DecimalField(**AMOUNT)
    avg_price = serializers.DecimalField(max_digits=28, decimal_places=10)
    booked_at = serializers.DateTimeField(allow_null=True)
    lines = serializers.SerializerMethodField()

    def get_lines(self, allocation) -> list[dict]:
        lines = selectors.allocation_lines(allocation=allocation)
        return AllocationLineSerializer(lines, many=True).data


class BlockSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    master = serializers.CharField(source="master.number")
    symbol = serializers.CharField(source="instrument.symbol")
    side = serializers.CharField()
    trade_date = serializers.DateField()
    group = serializers.CharField(source="group.name", allow_null=True, default=None)
    filled = serializers.DecimalField(**AMOUNT, allow_null=True)
    awaiting = serializers.BooleanField()


class FillSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    block = serializers.CharField(source="block.reference")
    execution_id = serializers.CharField()
    quantity = serializers.DecimalField(**AMOUNT)
    price = serializers.DecimalField(max_digits=28, decimal_places=10)
    commission = serializers.DecimalField(**AMOUNT)
    fees = serializers.DecimalField(**AMOUNT)
    executed_at = serializers.DateTimeField()


class GroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    master = serializers.CharField(source="master.number")
    method = serializers.CharField()
    step = serializers.DecimalField(**AMOUNT)
    pct = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    member_count = serializers.IntegerField()


class FillInSerializer(serializers.Serializer):
    """A fill as given: `executed_at` an ISO 8601 time with offset."""

    quantity = serializers.DecimalField(**AMOUNT, min_value=0)
    price = serializers.DecimalField(max_digits=28, decimal_places=10, min_value=0)
    executed_at = serializers.DateTimeField()
    commission = serializers.DecimalField(**AMOUNT, min_value=0, default=0)
    fees = serializers.DecimalField(**AMOUNT, min_value=0, default=0)
    execution_id = serializers.CharField(max_length=64, required=False, allow_blank=True)

    def spec(self) -> FillSpec:
        data = self.validated_data
        return FillSpec(
            quantity=data["quantity"],
            price=data["price"],
            executed_at=data["executed_at"],
            commission=data["commission"],
            fees=data["fees"],
            execution_id=data.get("execution_id", ""),
        )


class BlockCreateSerializer(serializers.Serializer):
    master = serializers.IntegerField(min_value=1)
    symbol = serializers.CharField(max_length=32)
    side = serializers.ChoiceField(choices=["buy", "sell"])
    trade_date = serializers.DateField()
    fills = FillInSerializer(many=True, allow_empty=False, max_length=500)
    reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    group = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class PreviewSerializer(serializers.Serializer):
    group = serializers.IntegerField(min_value=1, required=False, allow_null=True)


def _cursor(ordering: str):
    return type(
        "AllocationsCursor",
        (CursorPagination,),
        {
            "page_size": 100,
            "page_size_query_param": "page_size",
            "max_page_size": 500,
            "ordering": ordering,
        },
    )


def _valid(serializer_class, request):
    checked = serializer_class(data=request.data)
    checked.is_valid(raise_exception=True)
    return checked.validated_data


BLOCK_EXAMPLE = OpenApiExample(
    "A block of 400 shares in two fills",
    value={
        "master": 1201,
        "symbol": "AAPL",
        "side": "buy",
        "trade_date": "2026-10-05",
        "group": 17,
        "fills": [
            {"quantity": "300", "price": "187.25", "executed_at": "2026-10-05T14:31:07Z"},
            {
                "quantity": "100",
                "price": "187.30",
                "executed_at": "2026-10-05T14:32:41Z",
                "commission": "1.00",
            },
        ],
    },
    request_only=True,
)


@write_scope("trade")
class BlockList(ApiView):
    """`GET`: the blocks under masters the user may see (`?all=1` also those fully allocated),
    newest first. `POST`: capture a block in a master the user may trade in, with its fills, all
    or nothing (the Broker Portal's "New block", `BlockCapture`)."""

    pagination_class = _cursor("-id")

    @extend_schema(
        parameters=[OpenApiParameter("all", str, enum=["1"], description="also allocated ones")],
        responses=BlockSerializer(many=True),
    )
    def get(self, request):
        blocks = selectors.blocks_for(
            user=request.user, tenant=request.tenant, awaiting_only=request.GET.get("all") != "1"
        ).order_by()
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(blocks, request, view=self)
        return paginator.get_paginated_response(BlockSerializer(page, many=True).data)

    @extend_schema(
        request=BlockCreateSerializer,
        responses={201: BlockSerializer},
        examples=[BLOCK_EXAMPLE],
    )
    def post(self, request):
        data = _valid(BlockCreateSerializer, request)
        master = access_account(
            user=request.user, tenant=request.tenant, account_id=data["master"], need="trade"
        )
        group = None
        if data.get("group"):
            group = access_group(user=request.user, tenant=request.tenant, group_id=data["group"])
        symbol = data["symbol"].strip().upper()
        instrument = instruments_by_symbol(tenant=request.tenant, symbols=[symbol]).get(symbol)
        if instrument is None:
            raise ValidationError(f"No instrument with the symbol {symbol}.")
        fills = []
        for raw in request.data.get("fills") or []:
            fill = FillInSerializer(data=raw)
            fill.is_valid(raise_exception=True)
            fills.append(fill.spec())
        block = BlockCapture.from_request(
            request,
            master=master,
            instrument=instrument,
            side=data["side"],
            trade_date=data["trade_date"],
            fills=fills,
            reference=data["reference"],
            group=group,
        ).execute()
        block = selectors.blocks_for(user=request.user, tenant=request.tenant).get(pk=block.pk)
        return Response(BlockSerializer(block).data, status=status.HTTP_201_CREATED)


@write_scope("trade")
class BlockFills(ApiView):
    """One more fill of a block, booked in its master (`BlockFillAdd`)."""

    @extend_schema(
        request=FillInSerializer,
        responses={201: FillSerializer},
        examples=[
            OpenApiExample(
                "A third fill",
                value={"quantity": "50", "price": "187.40", "executed_at": "2026-10-05T15:02:00Z"},
                request_only=True,
            )
        ],
    )
    def post(self, request, block_id: int):
        block = access_block(user=request.user, tenant=request.tenant, block_id=block_id)
        checked = FillInSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        spec = checked.spec()
        fill = BlockFillAdd.from_request(
            request,
            block=block,
            execution_id=spec.execution_id or f"{block.reference}-{block.fills.count() + 1}",
            quantity=spec.quantity,
            price=spec.price,
            executed_at=spec.executed_at,
            commission=spec.commission,
            fees=spec.fees,
        ).execute()
        return Response(FillSerializer(fill).data, status=status.HTTP_201_CREATED)


@write_scope("trade")
class BlockPreview(ApiView):
    @extend_schema(
        request=PreviewSerializer,
        responses={201: AllocationSerializer},
        examples=[OpenApiExample("With a group", value={"group": 17}, request_only=True)],
    )
    def post(self, request, block_id: int):
        block = access_block(user=request.user, tenant=request.tenant, block_id=block_id)
        data = _valid(PreviewSerializer, request)
        group = (
            access_group(user=request.user, tenant=request.tenant, group_id=data["group"])
            if data.get("group")
            else None
        )
        allocation = AllocationPreview.from_request(request, block=block, group=group).execute()
        return Response(AllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)


class GroupList(ApiView):
    """Allocation groups under the masters the user may see."""

    pagination_class = _cursor("id")

    @extend_schema(responses=GroupSerializer(many=True))
    def get(self, request):
        groups = selectors.groups_for(user=request.user, tenant=request.tenant).order_by()
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(groups, request, view=self)
        return paginator.get_paginated_response(GroupSerializer(page, many=True).data)


class AllocationDetail(ApiView):
    @extend_schema(responses=AllocationSerializer)
    def get(self, request, allocation_id: int):
        allocation = access_allocation(
            user=request.user, tenant=request.tenant, allocation_id=allocation_id
        )
        return Response(AllocationSerializer(allocation).data)


@write_scope("trade")
class AllocationAction(ApiView):
    action = None  # "book" or "reverse"
    action_classes = {"book": AllocationBook, "reverse": AllocationReverse}

    @extend_schema(request=None, responses=AllocationSerializer)
    def post(self, request, allocation_id: int):
        allocation = access_allocation(
            user=request.user, tenant=request.tenant, allocation_id=allocation_id
        )
        verb = self.action_classes[self.action].from_request(request, allocation=allocation)
        return Response(AllocationSerializer(verb.execute()).data)


class AllocationFixml(ApiView):
    """The booked (or reversed) allocation as a FIXML AllocationInstruction file, as the
    Broker Portal's download; a preview is not exported (404)."""

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY})
    def get(self, request, allocation_id: int):
        return allocation_fixml_response(request, allocation_id)


allocation_api_urlpatterns = [
    path("allocations/blocks/", BlockList.as_view(), name="allocations-blocks"),
    path(
        "allocations/blocks/<int:block_id>/fills/",
        BlockFills.as_view(),
        name="allocations-block-fills",
    ),
    path(
        "allocations/blocks/<int:block_id>/preview/",
        BlockPreview.as_view(),
        name="allocations-block-preview",
    ),
    path("allocations/groups/", GroupList.as_view(), name="allocations-groups"),
    path("allocations/<int:allocation_id>/", AllocationDetail.as_view(), name="allocations-detail"),
    path(
        "allocations/<int:allocation_id>/book/",
        AllocationAction.as_view(action="book"),
        name="allocations-book",
    ),
    path(
        "allocations/<int:allocation_id>/reverse/",
        AllocationAction.as_view(action="reverse"),
        name="allocations-reverse",
    ),
    path(
        "allocations/<int:allocation_id>/fixml/",
        AllocationFixml.as_view(),
        name="allocations-fixml",
    ),
]
