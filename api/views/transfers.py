"""Money movements: deposit notices, withdrawal requests and their staff decision, internal
transfers between a client's own accounts. The client portal's and the Broker Portal's
services, with the same rights (fund on the account; staff approval permission)."""

import hashlib

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from api import serializers as s
from api.permissions import write_scope
from api.views.base import ApiViewSet
from clientportal import services
from clientportal.access import access_withdrawal_request
from clientportal.models import DepositNotice, WithdrawalRequest
from clientportal.selectors import withdrawal_requests_for_staff
from ledger.access import access_account, accounts_visible


def _fundable(request, account_id):
    return access_account(
        user=request.user, tenant=request.tenant, account_id=account_id, need="fund"
    )


def _valid(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@write_scope("fund")
class WithdrawalViewSet(ApiViewSet):
    """Clients request withdrawals from accounts they may fund; staff with the approval
    permission list every request and approve (booked in the ledger) or reject it."""

    serializer_class = s.WithdrawalSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WithdrawalRequest.objects.none()
        user = self.request.user
        if user.is_staff and user.has_perm("clientportal.change_withdrawalrequest"):
            return withdrawal_requests_for_staff(status=None)
        visible = accounts_visible(user=user, tenant=self.request.tenant).values("pk")
        return WithdrawalRequest.objects.filter(requested_by=user, account_id__in=visible)

    def list(self, request):
        return self.paginated(self.get_queryset().select_related("account"), s.WithdrawalSerializer)

    def retrieve(self, request, pk=None):
        withdrawal = self.get_queryset().select_related("account").filter(pk=_pk(pk)).first()
        if withdrawal is None:
            from django.http import Http404

            raise Http404("No such withdrawal request.")
        return Response(s.WithdrawalSerializer(withdrawal).data)

    @extend_schema(
        request=s.WithdrawalCreateSerializer,
        responses={201: s.WithdrawalSerializer},
        examples=[
            OpenApiExample(
                "To the bank account on file",
                value={
                    "account": 1201,
                    "amount": "2500.00",
                    "currency": "USD",
                    "destination": "Checking ending 4411",
                },
                request_only=True,
            )
        ],
    )
    def create(self, request):
        data = _valid(s.WithdrawalCreateSerializer, request)
        withdrawal = services.withdrawal_request_create(
            user=request.user,
            tenant=request.tenant,
            account=_fundable(request, data["account"]),
            amount=data["amount"],
            currency=data["currency"],
            destination=data["destination"],
        )
        return Response(s.WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.WithdrawalSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        withdrawal = access_withdrawal_request(
            user=request.user, tenant=request.tenant, request_id=pk
        )
        withdrawal = services.withdrawal_request_approve(
            staff=request.user, tenant=request.tenant, request_id=withdrawal.pk
        )
        return Response(s.WithdrawalSerializer(withdrawal).data)

    @extend_schema(request=s.DecisionSerializer, responses=s.WithdrawalSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        withdrawal = access_withdrawal_request(
            user=request.user, tenant=request.tenant, request_id=pk
        )
        data = _valid(s.DecisionSerializer, request)
        withdrawal = services.withdrawal_request_reject(
            staff=request.user, request_id=withdrawal.pk, note=data["note"]
        )
        return Response(s.WithdrawalSerializer(withdrawal).data)


def _pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@write_scope("fund")
class DepositNoticeViewSet(ApiViewSet):
    queryset = DepositNotice.objects.none()
    serializer_class = s.DepositNoticeSerializer

    def list(self, request):
        visible = accounts_visible(user=request.user, tenant=request.tenant).values("pk")
        notices = DepositNotice.objects.filter(account_id__in=visible).select_related("account")
        if not request.user.is_staff:
            notices = notices.filter(notified_by=request.user)
        return self.paginated(notices, s.DepositNoticeSerializer)

    @extend_schema(
        request=s.DepositNoticeCreateSerializer,
        responses={201: s.DepositNoticeSerializer},
        examples=[
            OpenApiExample(
                "A wire on its way",
                value={
                    "account": 1201,
                    "amount": "10000.00",
                    "currency": "USD",
                    "method": "wire",
                    "expected_on": "2026-12-07",
                    "reference": "INV-2291",
                },
                request_only=True,
            )
        ],
    )
    def create(self, request):
        data = _valid(s.DepositNoticeCreateSerializer, request)
        notice = services.deposit_notice_create(
            user=request.user,
            account=_fundable(request, data["account"]),
            amount=data["amount"],
            currency=data["currency"],
            method=data["method"],
            expected_on=data["expected_on"],
            reference=data["reference"],
        )
        return Response(s.DepositNoticeSerializer(notice).data, status=status.HTTP_201_CREATED)


@write_scope("fund")
class InternalTransferViewSet(ApiViewSet):
    """An internal cash journal between two accounts the user may fund. Booked once per
    Idempotency-Key (the journal entry's own idempotency key derives from it)."""

    queryset = DepositNotice.objects.none()
    serializer_class = s.JournalEntrySerializer

    @extend_schema(
        request=s.InternalTransferSerializer,
        responses={201: s.JournalEntrySerializer},
        examples=[
            OpenApiExample(
                "Between two own accounts",
                value={
                    "from_account": 1201,
                    "to_account": 1202,
                    "amount": "150.00",
                    "currency": "USD",
                },
                request_only=True,
            )
        ],
    )
    def create(self, request):
        data = _valid(s.InternalTransferSerializer, request)
        raw = request.headers.get("Idempotency-Key") or request.META.get("HTTP_X_REQUEST_ID", "")
        key = hashlib.sha256(f"{request.user.pk}:{raw}".encode()).hexdigest() if raw else None
        import uuid

        entry = services.internal_transfer_book(
            user=request.user,
            tenant=request.tenant,
            from_account=_fundable(request, data["from_account"]),
            to_account=_fundable(request, data["to_account"]),
            amount=data["amount"],
            currency=data["currency"],
            idempotency_key=f"api-transfer:{request.tenant.schema_name}:{key or uuid.uuid4().hex}",
        )
        return Response(s.JournalEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
