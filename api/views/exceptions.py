"""The exception report of the desk (`desk.exceptions.exceptions_report`) for the kinds the
user's roles own, as the Broker Portal's Exceptions page, and acknowledging one with a note
(`desk.actions.ExceptionAcknowledge`). Staff only; an exception that does not exist now or
whose kind the user's roles do not own is 404 and nothing is written.

The report is computed on each call (it is the state now, not rows): the list carries every
open item (at most PAGE_LIMIT per kind, as the page), `?acknowledged=1` the acknowledged ones
too."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.views.base import ApiView
from desk.actions import ExceptionAcknowledge
from desk.exceptions import KINDS, exceptions_report, kinds_for

PAGE_LIMIT = 500


class ExceptionItemSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_title = serializers.CharField()
    key = serializers.CharField()
    subject = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    since = serializers.CharField(allow_null=True, help_text="ISO 8601 date or time")
    evidence = serializers.DictField()
    acknowledged = serializers.DictField(allow_null=True)


class ExceptionListSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    results = ExceptionItemSerializer(many=True)


class AcknowledgeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(KINDS))
    key = serializers.CharField(max_length=128)
    note = serializers.CharField(max_length=500)


class AcknowledgementSerializer(serializers.Serializer):
    kind = serializers.CharField()
    key = serializers.CharField()
    note = serializers.CharField()
    acknowledged_by = serializers.CharField(source="acknowledged_by_username")
    acknowledged_at = serializers.DateTimeField()


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _staff_kinds(user) -> list[str]:
    if not user.is_staff:
        raise PermissionDenied("The exception report is for staff.")
    return kinds_for(user)


class ExceptionList(ApiView):
    """`GET /exceptions/`: the report now, for the kinds the user's roles own."""

    @extend_schema(
        parameters=[OpenApiParameter("acknowledged", str, enum=["1"])],
        responses=ExceptionListSerializer,
    )
    def get(self, request):
        kinds = _staff_kinds(request.user)
        report = exceptions_report(tenant=request.tenant, kinds=kinds)
        with_acknowledged = request.query_params.get("acknowledged") == "1"
        results = []
        for code in kinds:
            items = report.items.get(code, []) if with_acknowledged else report.open_items(code)
            for item in items[:PAGE_LIMIT]:
                ack = report.acknowledged.get((item.kind, item.key))
                since = item.since.isoformat() if item.since is not None else None
                results.append(
                    {
                        "kind": item.kind,
                        "kind_title": KINDS[code].title,
                        "key": item.key,
                        "subject": item.subject,
                        "detail": item.detail,
                        "since": since,
                        "evidence": _jsonable(item.evidence or {}),
                        "acknowledged": None
                        if ack is None
                        else AcknowledgementSerializer(ack).data,
                    }
                )
        body = {"generated_at": report.generated_at, "results": results}
        return Response(ExceptionListSerializer(body).data)


class ExceptionAcknowledgeView(ApiView):
    """`POST /exceptions/acknowledge/`: a note on one exception (`ExceptionAcknowledge`)."""

    write_scope = "admin"

    @extend_schema(
        request=AcknowledgeSerializer,
        responses={201: AcknowledgementSerializer},
        examples=[
            OpenApiExample(
                "A negative balance handled",
                value={
                    "kind": "negative_cash",
                    "key": "U1234567:USD",
                    "note": "Client wired the shortfall; credited on arrival.",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        _staff_kinds(request.user)
        checked = AcknowledgeSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        ack = ExceptionAcknowledge.from_request(request, **checked.validated_data).execute()
        return Response(AcknowledgementSerializer(ack).data, status=201)
