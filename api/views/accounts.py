"""Accounts a user may see, and what they hold: the client portal's and the Broker Portal's
selectors (`ledger.selectors`, tenant= always) behind `ledger.access`."""

import json
from datetime import timedelta

import django_filters
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import filters
from rest_framework.decorators import action
from rest_framework.response import Response

from api import serializers as s
from api.views.base import ApiViewSet
from ledger import selectors
from ledger.access import access_account, accounts_visible
from ledger.models import Account


class AccountFilter(django_filters.FilterSet):
    account_type = django_filters.ChoiceFilter(choices=Account.Type.choices)
    status = django_filters.ChoiceFilter(choices=Account.Status.choices)
    base_currency = django_filters.CharFilter(max_length=3)
    master = django_filters.CharFilter(field_name="parent__number", max_length=16)

    class Meta:
        model = Account
        fields = ["account_type", "status", "base_currency", "master"]


RANGE_PARAMS = [
    OpenApiParameter("start", str, description="YYYY-MM-DD, default 1 year before end"),
    OpenApiParameter("end", str, description="YYYY-MM-DD, default today"),
]


class AccountViewSet(ApiViewSet):
    """`GET /accounts/` with `?account_type=&status=&base_currency=&master=&search=`; each
    account by id. Another tenant's account, a platform account and one not granted are 404."""

    serializer_class = s.AccountSerializer
    filterset_class = AccountFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.SearchFilter]
    search_fields = ["number", "title"]
    lookup_value_regex = r"\d+"
    pagination_class = type("AccountCursor", (ApiViewSet.pagination_class,), {"ordering": "number"})

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return accounts_visible(user=None, tenant=None)
        return accounts_visible(user=self.request.user, tenant=self.request.tenant).select_related(
            "parent"
        )

    def _account(self, pk):
        return access_account(user=self.request.user, tenant=self.request.tenant, account_id=pk)

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        if request.accepted_renderer.format == "json" and s.account_json_rows_apply():
            return self._json_page(queryset)
        return self.paginated(s.account_rows(queryset), s.AccountRowSerializer)

    def _json_page(self, queryset) -> HttpResponse:
        """The page as DRF's JSON renderer would write it (`next`, `previous`, `results`,
        compact), with each account's object written by PostgreSQL (`account_json_rows`):
        a page of 1,000 accounts is one join of their texts."""
        paginator = self.paginator
        page = paginator.paginate_queryset(s.account_json_rows(queryset), self.request, view=self)
        body = "".join(
            (
                '{"next":',
                json.dumps(paginator.get_next_link()),
                ',"previous":',
                json.dumps(paginator.get_previous_link()),
                ',"results":[',
                ",".join([row["row_json"] for row in page]),
                "]}",
            )
        )
        return HttpResponse(body.encode(), content_type="application/json")

    def retrieve(self, request, pk=None):
        return Response(s.AccountSerializer(self._account(pk)).data)

    @extend_schema(responses=s.PositionSerializer(many=True))
    @action(
        detail=True,
        pagination_class=type("PositionCursor", (ApiViewSet.pagination_class,), {"ordering": "id"}),
    )
    def positions(self, request, pk=None):
        account = self._account(pk)
        positions = selectors.positions_for(tenant=request.tenant, account_ids=[account])
        return self.paginated(positions.order_by(), s.PositionSerializer)

    @extend_schema(responses=s.CashSerializer)
    @action(detail=True)
    def cash(self, request, pk=None):
        account = self._account(pk)
        report = selectors.cash_for(
            tenant=request.tenant, account_ids=[account], base_currency=account.base_currency
        )
        return Response(s.CashSerializer(report).data)

    @extend_schema(responses=s.ActivitySerializer(many=True), parameters=RANGE_PARAMS)
    @action(detail=True)
    def activity(self, request, pk=None):
        account = self._account(pk)
        period = self._range(request)
        rows = selectors.activity_for(
            tenant=request.tenant, account_ids=[account], start=period["start"], end=period["end"]
        )
        return Response(s.ActivitySerializer(rows, many=True).data)

    @extend_schema(responses=s.ValuationSerializer)
    @action(detail=True)
    def valuation(self, request, pk=None):
        account = self._account(pk)
        if account.account_type == Account.Type.MASTER:
            value = selectors.account_valuation_consolidated(tenant=request.tenant, master=account)
        else:
            value = selectors.account_valuation(tenant=request.tenant, account=account)
        return Response(s.ValuationSerializer(value).data)

    @extend_schema(
        responses=s.PerformanceSerializer,
        parameters=[*RANGE_PARAMS, OpenApiParameter("benchmark", str)],
    )
    @action(detail=True)
    def performance(self, request, pk=None):
        """Time-weighted (daily-linked) and money-weighted (XIRR) returns for the range."""
        account = self._account(pk)
        period = self._range(request)
        report = selectors.performance_for(
            tenant=request.tenant,
            account_ids=[account],
            start=period["start"],
            end=period["end"],
            benchmark_symbol=period.get("benchmark"),
        )
        return Response(s.PerformanceSerializer(report).data)

    @extend_schema(responses=s.NavPointSerializer(many=True), parameters=RANGE_PARAMS)
    @action(detail=True)
    def nav(self, request, pk=None):
        account = self._account(pk)
        period = self._range(request)
        points = selectors.nav_history_for(
            tenant=request.tenant, account_ids=[account], start=period["start"], end=period["end"]
        ).select_related("account")
        return Response(s.NavPointSerializer(points[:2000], many=True).data)

    @staticmethod
    def _range(request) -> dict:
        end = timezone.localdate()
        data = {"start": end - timedelta(days=365), "end": end}
        data.update(
            {k: v for k, v in request.query_params.items() if k in ("start", "end", "benchmark")}
        )
        checked = s.RangeSerializer(data=data)
        checked.is_valid(raise_exception=True)
        return checked.validated_data


class MasterViewSet(ApiViewSet):
    """Advisor masters the user may see, with the subs they may see."""

    queryset = accounts_visible(user=None, tenant=None)
    serializer_class = s.MasterSerializer
    lookup_value_regex = r"\d+"
    pagination_class = AccountViewSet.pagination_class

    def _visible(self):
        return accounts_visible(user=self.request.user, tenant=self.request.tenant)

    def list(self, request):
        visible = self._visible()
        masters = (
            selectors.masters_for(tenant=request.tenant)
            .filter(pk__in=visible.values("pk"))
            .prefetch_related("subs")
        )
        ids = set(visible.values_list("pk", flat=True))
        return self.paginated(masters, s.MasterSerializer, visible_ids=ids)

    def retrieve(self, request, pk=None):
        account = access_account(user=request.user, tenant=request.tenant, account_id=pk)
        if account.account_type != Account.Type.MASTER:
            from django.http import Http404

            raise Http404("No such master.")
        ids = set(self._visible().values_list("pk", flat=True))
        context = {"visible_ids": ids}
        return Response(s.MasterSerializer(account, context=context).data)
