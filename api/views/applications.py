"""Account applications for reviewers (Onboarding and Compliance Officers): the queue with its
filters, each application's detail and status, and the screens' verbs as the same Actions
(`onboarding.actions`). Anyone else gets 404, as on the screens."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from api.permissions import write_scope
from api.views.base import ApiViewSet
from onboarding import actions
from onboarding.access import access_application
from onboarding.models import Application
from onboarding.selectors import application_queue
from onboarding.services.workflow import REVIEWER_ROLES
from tenants.roles import has_role

VERBS = {
    "review": actions.ApplicationReviewStart,
    "request-information": actions.ApplicationInformationRequest,
    "approve": actions.ApplicationApprove,
    "reject": actions.ApplicationReject,
    "withdraw": actions.ApplicationWithdraw,
    "run-checks": actions.ApplicationChecksRun,
}


class ApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    public_id = serializers.UUIDField()
    external_id = serializers.CharField(allow_blank=True)
    source = serializers.CharField()
    state = serializers.CharField()
    applicant_type = serializers.CharField()
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    entity_name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    checks_failed = serializers.BooleanField(allow_null=True)
    account = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)

    def get_account(self, application) -> str | None:
        return application.account.number if application.account_id else None


class ApplicationActSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(VERBS))
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


@write_scope("admin")
class ApplicationViewSet(ApiViewSet):
    queryset = Application.objects.none()
    serializer_class = ApplicationSerializer
    lookup_value_regex = r"\d+"
    pagination_class = type("ApplicationCursor", (ApiViewSet.pagination_class,), {"ordering": "id"})

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=list(Application.State.values)),
            OpenApiParameter("search", str),
        ]
    )
    def list(self, request):
        if not has_role(request.user, *REVIEWER_ROLES):
            raise Http404("No such application.")
        state = request.query_params.get("state", "")
        queue = application_queue(
            tenant=request.tenant,
            state=state if state in Application.State.values else "",
            search=request.query_params.get("search", "")[:100],
        ).select_related("account")
        return self.paginated(queue.order_by(), ApplicationSerializer)

    def retrieve(self, request, pk=None):
        application = access_application(
            user=request.user, tenant=request.tenant, application_id=pk
        )
        return Response(ApplicationSerializer(application).data)

    @extend_schema(request=ApplicationActSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def act(self, request, pk=None):
        application = access_application(
            user=request.user, tenant=request.tenant, application_id=pk
        )
        checked = ApplicationActSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        verb = VERBS[checked.validated_data["action"]]
        values = {"application": application}
        if checked.validated_data["reason"]:
            values["reason"] = checked.validated_data["reason"]
        verb.from_request(request, **values).execute()
        application.refresh_from_db()
        return Response(ApplicationSerializer(application).data)
