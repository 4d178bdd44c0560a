"""The funding desk's journals: cash and position journals between the tenant's accounts and
their batches from a CSV file, through the desk's Actions (`funding.actions`: JournalCreate,
JournalsUpload, JournalApprove, JournalReject, JournalReverse) and access
(`funding.access.access_journal`), with the same roles as the Broker Portal's Funding pages:
Onboarding Officers make them, a second person (Onboarding or Compliance Officer) approves one
above the tenant's limit; anyone else gets the same 404 for a journal as for a missing one."""

import uuid

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from api.permissions import write_scope
from api.views.base import ApiViewSet
from funding import selectors, services
from funding.access import access_journal, desk_member, desk_require
from funding.actions import (
    JournalApprove,
    JournalCreate,
    JournalReject,
    JournalReverse,
    JournalsUpload,
)
from funding.models import Journal, JournalBatch

AMOUNT = {"max_digits": 28, "decimal_places": 8}


class DeskJournalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    from_account = serializers.CharField(source="from_account.number")
    to_account = serializers.CharField(source="to_account.number")
    currency = serializers.CharField()
    amount = serializers.DecimalField(**AMOUNT, allow_null=True)
    symbol = serializers.CharField(source="instrument.symbol", allow_null=True, default=None)
    quantity = serializers.DecimalField(**AMOUNT, allow_null=True)
    price = serializers.DecimalField(max_digits=28, decimal_places=10, allow_null=True)
    value_usd = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    memo = serializers.CharField(allow_blank=True)
    batch = serializers.IntegerField(source="batch_id", allow_null=True)
    maker = serializers.CharField(source="maker.username")
    created_at = serializers.DateTimeField()
    approver = serializers.CharField(source="approver.username", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField(allow_blank=True)
    entry_id = serializers.IntegerField(allow_null=True)
    reversal_entry_id = serializers.IntegerField(allow_null=True)


class DeskJournalCreateSerializer(serializers.Serializer):
    """A journal as on the form: accounts by number, a position's instrument by symbol."""

    kind = serializers.ChoiceField(choices=Journal.Kind.values)
    from_account = serializers.CharField(max_length=32)
    to_account = serializers.CharField(max_length=32)
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(**AMOUNT, required=False, allow_null=True)
    symbol = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    quantity = serializers.DecimalField(**AMOUNT, required=False, allow_null=True)
    price = serializers.DecimalField(
        max_digits=28, decimal_places=10, required=False, allow_null=True
    )
    memo = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def spec(self) -> services.JournalSpec:
        data = self.validated_data
        text = {k: "" if data.get(k) is None else str(data.get(k)) for k in services.CSV_COLUMNS}
        return services.JournalSpec(**text)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class BatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    sha256 = serializers.CharField()
    row_count = serializers.IntegerField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    uploaded_at = serializers.DateTimeField()
    journals = serializers.SerializerMethodField()

    def get_journals(self, batch) -> list[int]:
        return list(batch.journals.order_by("id").values_list("id", flat=True))


class BatchUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV with the columns of the Broker Portal's upload")


def _request_key(request) -> str:
    """The journal's own once-only key: from the Idempotency-Key (per user), else new."""
    raw = request.headers.get("Idempotency-Key")
    return f"api:{request.user.pk}:{raw}" if raw else f"api:{uuid.uuid4().hex}"


JOURNAL_EXAMPLE = OpenApiExample(
    "A position journal",
    value={
        "kind": "position",
        "from_account": "U1000001",
        "to_account": "U1000002",
        "symbol": "AAPL",
        "quantity": "25",
        "memo": "Household consolidation",
    },
    request_only=True,
)


@write_scope("fund")
class DeskJournalViewSet(ApiViewSet):
    """`GET /desk-journals/?status=pending|booked|rejected|reversed|all` (default pending);
    make one (`POST`), approve, reject or reverse it."""

    serializer_class = DeskJournalSerializer
    lookup_value_regex = r"\d+"
    pagination_class = type("JournalCursor", (ApiViewSet.pagination_class,), {"ordering": "-id"})

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Journal.objects.none()
        desk_require(self.request.user)
        wanted = self.request.query_params.get("status", Journal.Status.PENDING)
        if wanted not in (*Journal.Status.values, "all"):
            wanted = Journal.Status.PENDING
        return selectors.journals_for_desk(tenant=self.request.tenant, status=wanted)

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=[*Journal.Status.values, "all"])],
        responses=DeskJournalSerializer(many=True),
    )
    def list(self, request):
        return self.paginated(self.get_queryset().order_by(), DeskJournalSerializer)

    @extend_schema(responses=DeskJournalSerializer)
    def retrieve(self, request, pk=None):
        journal = access_journal(user=request.user, tenant=request.tenant, journal_id=pk)
        return Response(DeskJournalSerializer(journal).data)

    @extend_schema(
        request=DeskJournalCreateSerializer,
        responses={201: DeskJournalSerializer},
        examples=[JOURNAL_EXAMPLE],
    )
    def create(self, request):
        desk_require(request.user)
        checked = DeskJournalCreateSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        journal = JournalCreate.from_request(
            request, spec=checked.spec(), request_key=_request_key(request)
        ).execute()
        journal = access_journal(user=request.user, tenant=request.tenant, journal_id=journal.pk)
        return Response(DeskJournalSerializer(journal).data, status=status.HTTP_201_CREATED)

    def _act(self, request, pk, action_class, **values):
        journal = access_journal(user=request.user, tenant=request.tenant, journal_id=pk)
        action_class.from_request(request, journal=journal, **values).execute()
        journal = access_journal(user=request.user, tenant=request.tenant, journal_id=pk)
        return Response(DeskJournalSerializer(journal).data)

    @extend_schema(request=None, responses=DeskJournalSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The second person books a journal awaiting approval (never its maker)."""
        return self._act(request, pk, JournalApprove)

    @extend_schema(request=RejectSerializer, responses=DeskJournalSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        access_journal(user=request.user, tenant=request.tenant, journal_id=pk)  # 404 first
        checked = RejectSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        return self._act(request, pk, JournalReject, reason=checked.validated_data["reason"])

    @extend_schema(request=None, responses=DeskJournalSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        return self._act(request, pk, JournalReverse)


@write_scope("fund")
class JournalBatchViewSet(ApiViewSet):
    """Batches of journals from a CSV file (the Broker Portal's upload), all or none; the same
    file twice makes its journals once and answers the first batch."""

    serializer_class = BatchSerializer
    lookup_value_regex = r"\d+"
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return JournalBatch.objects.none()
        desk_require(self.request.user)
        return JournalBatch.objects.select_related("uploaded_by")

    @extend_schema(responses=BatchSerializer(many=True))
    def list(self, request):
        return self.paginated(self.get_queryset(), BatchSerializer)

    @extend_schema(responses=BatchSerializer)
    def retrieve(self, request, pk=None):
        from django.http import Http404

        if not desk_member(request.user):
            raise Http404("No such batch.")
        batch = self.get_queryset().filter(pk=int(pk)).first() if str(pk).isdigit() else None
        if batch is None:
            raise Http404("No such batch.")
        return Response(BatchSerializer(batch).data)

    @extend_schema(
        request={"multipart/form-data": BatchUploadSerializer}, responses={201: BatchSerializer}
    )
    def create(self, request):
        desk_require(request.user)
        checked = BatchUploadSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        upload = checked.validated_data["file"]
        batch = JournalsUpload.from_request(
            request, filename=upload.name, data=upload.read()
        ).execute()
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)
