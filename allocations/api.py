"""REST API of allocations under /api/v1/allocations/: the same services, access helpers and
permissions as the Broker Portal screens. A refused action answers 409 with the reason."""

from django.core.exceptions import ValidationError
from django.urls import path
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from allocations import selectors
from allocations.access import access_allocation, access_block, access_group
from allocations.actions import AllocationBook, AllocationPreview, AllocationReverse
from compliance.actions import refusal_text


class AllocationLineSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.number")
    priority = serializers.IntegerField()
    quantity = serializers.DecimalField(max_digits=28, decimal_places=8)
    exact_share = serializers.DecimalField(max_digits=40, decimal_places=12)
    principal = serializers.DecimalField(max_digits=28, decimal_places=8)
    commission = serializers.DecimalField(max_digits=28, decimal_places=8)
    fees = serializers.DecimalField(max_digits=28, decimal_places=8)
    explanation = serializers.CharField()


class AllocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    block = serializers.CharField(source="block.reference")
    group = serializers.CharField(source="group.name")
    state = serializers.CharField()
    method = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=28, decimal_places=8)
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
    filled = serializers.DecimalField(max_digits=28, decimal_places=8, allow_null=True)
    awaiting = serializers.BooleanField()


def _refused(error: ValidationError) -> Response:
    return Response({"detail": refusal_text(error)}, status=status.HTTP_409_CONFLICT)


class BlockList(APIView):
    def get(self, request):
        blocks = selectors.blocks_for(
            user=request.user, tenant=request.tenant, awaiting_only=request.GET.get("all") != "1"
        )
        return Response(BlockSerializer(blocks[:500], many=True).data)


class BlockPreview(APIView):
    def post(self, request, block_id: int):
        block = access_block(user=request.user, tenant=request.tenant, block_id=block_id)
        group_id = request.data.get("group")
        group = (
            access_group(user=request.user, tenant=request.tenant, group_id=group_id)
            if group_id
            else None
        )
        action = AllocationPreview(
            actor=request.user, tenant=request.tenant, block=block, group=group
        )
        try:
            allocation = action.execute()
        except ValidationError as error:
            return _refused(error)
        return Response(AllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)


class AllocationDetail(APIView):
    def get(self, request, allocation_id: int):
        allocation = access_allocation(
            user=request.user, tenant=request.tenant, allocation_id=allocation_id
        )
        return Response(AllocationSerializer(allocation).data)


class AllocationAction(APIView):
    action = None  # "book" or "reverse"
    action_classes = {"book": AllocationBook, "reverse": AllocationReverse}

    def post(self, request, allocation_id: int):
        allocation = access_allocation(
            user=request.user, tenant=request.tenant, allocation_id=allocation_id
        )
        verb = self.action_classes[self.action](
            actor=request.user, tenant=request.tenant, allocation=allocation
        )
        try:
            allocation = verb.execute()
        except ValidationError as error:
            return _refused(error)
        return Response(AllocationSerializer(allocation).data)


allocation_api_urlpatterns = [
    path("allocations/blocks/", BlockList.as_view(), name="allocations-blocks"),
    path(
        "allocations/blocks/<int:block_id>/preview/",
        BlockPreview.as_view(),
        name="allocations-block-preview",
    ),
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
]
