"""Executions: the trades booked in the accounts a user may see (`ledger.selectors.postings_for`,
one row per execution), and the import of an execution file (CSV, IBKR Flex XML, FIXML) through
`ledger.imports`, for staff who may trade in every account the file names.

The ledger's import resolves accounts across the whole platform; here every row's account must
be one of the tenant's that the user may trade in, else the file is refused row by row with the
same words as an unknown account (another tenant's account is not told apart), and nothing is
booked. Each execution booked is an `execution.booked` event, in the import's transaction."""

import io

from django.core.exceptions import PermissionDenied
from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from api.permissions import write_scope
from api.views.base import ApiViewSet
from events.services import event_record
from ledger.access import accounts_visible
from ledger.errors import ImportRefused
from ledger.imports import executions_import
from ledger.imports.parsers import csv_rows, fixml_rows, flex_rows
from ledger.selectors import execution_ids_booked, executions_by_id, executions_for

AMOUNT = {"max_digits": 28, "decimal_places": 8}
MAX_FILE_BYTES = 20 * 1024 * 1024
FORMATS = ("csv", "flex", "fixml")


class ExecutionSerializer(serializers.Serializer):
    execution_id = serializers.CharField(source="entry__execution_id")
    entry_id = serializers.IntegerField()
    account = serializers.CharField(source="account__number")
    symbol = serializers.CharField(source="instrument__symbol")
    quantity = serializers.DecimalField(**AMOUNT, help_text="signed: negative sold")
    price = serializers.DecimalField(max_digits=28, decimal_places=10, allow_null=True)
    trade_date = serializers.DateField(source="entry__trade_date")
    settle_date = serializers.DateField(source="entry__settle_date")


class ExecutionImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=FORMATS, required=False)


class ImportResultSerializer(serializers.Serializer):
    booked = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="execution ids booked before")
    warnings = serializers.ListField(child=serializers.CharField())
    warning_count = serializers.IntegerField()


def _format(name: str, given: str | None) -> str:
    if given:
        return given
    lower = name.lower()
    if lower.endswith(".csv"):
        return "csv"
    if "fixml" in lower:
        return "fixml"
    return "flex"


def _rows(fmt: str, data: bytes):
    if fmt == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportRefused([(0, "the file is not UTF-8 text")]) from None
        return list(csv_rows(io.StringIO(text)))
    return list((flex_rows if fmt == "flex" else fixml_rows)(data))


def _scoped(rows, tradeable: set[str]) -> None:
    """Refuse the file when a row names an account that is not one the user may trade in."""
    errors = [
        (n, f"unknown or closed account {row.account_number!r}")
        for n, row in enumerate(rows, start=1)
        if not isinstance(row, Exception) and row.account_number not in tradeable
    ]
    if errors:
        raise ImportRefused(errors)


@write_scope("trade")
class ExecutionViewSet(ApiViewSet):
    """`GET /executions/`: the executions booked in accounts the user may see, newest first.
    `POST /executions/import/`: a file of executions, all or nothing."""

    serializer_class = ExecutionSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    pagination_class = type(
        "ExecutionCursor", (ApiViewSet.pagination_class,), {"ordering": "-entry_id"}
    )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return accounts_visible(user=None, tenant=None)
        visible = accounts_visible(user=self.request.user, tenant=self.request.tenant)
        return executions_for(
            tenant=self.request.tenant, account_ids=visible.values_list("pk", flat=True)
        )

    def list(self, request):
        return self.paginated(self.get_queryset().order_by(), ExecutionSerializer)

    @extend_schema(
        request={"multipart/form-data": ExecutionImportSerializer},
        responses={201: ImportResultSerializer},
        examples=[
            OpenApiExample(
                "Booked",
                value={"booked": 2, "skipped": 0, "warnings": [], "warning_count": 0},
                response_only=True,
                status_codes=["201"],
            )
        ],
    )
    def create(self, request):
        if not request.user.is_staff:
            raise PermissionDenied("Only staff import executions.")
        checked = ExecutionImportSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        upload = checked.validated_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ImportRefused([(0, f"the file is over {MAX_FILE_BYTES // 1024 // 1024} MB")])
        fmt = _format(upload.name, checked.validated_data.get("format"))
        rows = _rows(fmt, upload.read())
        tradeable = set(
            accounts_visible(user=request.user, tenant=request.tenant, need="trade")
            .exclude(status="closed")
            .values_list("number", flat=True)
        )
        _scoped(rows, tradeable)
        ids = [row.execution_id for row in rows if not isinstance(row, Exception)]
        with transaction.atomic():
            before = execution_ids_booked(execution_ids=ids)
            result = executions_import(rows=rows)
            new = [i for i in ids if i not in before]
            for row in executions_by_id(tenant=request.tenant, execution_ids=new):
                event_record(
                    kind="execution.booked",
                    subject=f"execution:{row['entry__execution_id']}",
                    account_id=row["account_id"],
                    data={
                        "execution_id": row["entry__execution_id"],
                        "entry_id": row["entry_id"],
                        "account": row["account__number"],
                        "symbol": row["instrument__symbol"],
                        "quantity": str(row["quantity"]),
                        "price": None if row["price"] is None else str(row["price"]),
                        "trade_date": row["entry__trade_date"].isoformat(),
                    },
                )
        body = {
            "booked": result.booked,
            "skipped": result.skipped,
            "warnings": [f"row {n}: {message}" for n, message in result.warnings],
            "warning_count": result.warning_count,
        }
        return Response(body, status=status.HTTP_201_CREATED)
