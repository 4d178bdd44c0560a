"""Issued statements: listed for the accounts the user may see (`statements_for`), downloaded
after the same check as the portal's download (`access_issued_statement`)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from api.views.base import ApiViewSet
from branding.statements.selectors import access_issued_statement, statements_for
from branding.statements.staff_views import statement_file_response
from ledger.access import accounts_visible


class StatementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.CharField(source="account.number")
    kind = serializers.CharField()
    period_kind = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    version = serializers.IntegerField()
    ending_value = serializers.DecimalField(max_digits=28, decimal_places=8)
    currency = serializers.CharField()
    issued_at = serializers.DateTimeField()
    pdf_sha256 = serializers.CharField()
    csv_sha256 = serializers.CharField()
    xml_sha256 = serializers.CharField()


class StatementViewSet(ApiViewSet):
    serializer_class = StatementSerializer
    lookup_value_regex = r"\d+"
    pagination_class = type("StatementCursor", (ApiViewSet.pagination_class,), {"ordering": "-id"})

    def list(self, request):
        visible = accounts_visible(user=request.user, tenant=request.tenant).values("pk")
        statements = statements_for(tenant=request.tenant, account_ids=visible).order_by()
        return self.paginated(statements, StatementSerializer)

    @extend_schema(
        parameters=[
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["pdf", "csv", "xml"])
        ],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=True, url_path=r"download/(?P<fmt>pdf|csv|xml)")
    def download(self, request, pk=None, fmt=None):
        statement = access_issued_statement(
            user=request.user, tenant=request.tenant, statement_id=pk, need="view"
        )
        return statement_file_response(statement, fmt)
