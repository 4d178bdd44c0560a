"""The event stream and webhooks.

`GET /events/?after=<id>` (or the `Last-Event-ID` header) answers the events after that id in
order; a program that stores the last id it handled resumes after a gap without loss (ids are
committed in order, `events.services.event_record`). With `Accept: text/event-stream` the same
events come as Server-Sent Events (`id:` lines resume with `Last-Event-ID`), followed by one
heartbeat comment; the response ends there and the client's EventSource reconnects (its
`retry:` delay), so no WSGI worker is held by an idle client.

Who sees which event: an event about an account, the users who may see that account; an event
about no account (webhook settings), staff only."""

from django.db.models import Q
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from api import serializers as s
from api import services as event_services
from api.permissions import write_scope
from api.views.base import ApiView, ApiViewSet
from compliance.access import security_officer_require
from events.models import Event, WebhookDelivery, WebhookEndpoint
from ledger.access import accounts_visible

PAGE = 500


def events_visible(*, user, tenant):
    visible = Q(account_id__in=accounts_visible(user=user, tenant=tenant).values("pk"))
    if user.is_staff:
        visible |= Q(account_id__isnull=True)
    return Event.objects.filter(visible)


def _after(request) -> int:
    raw = request.query_params.get("after") or request.headers.get("Last-Event-ID") or "0"
    try:
        return max(int(raw), 0)
    except ValueError:
        return 0


class EventStreamRenderer(BaseRenderer):
    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return b""  # the view answers a stream itself


class EventList(ApiView):
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(
        parameters=[OpenApiParameter("after", str, description="the last event id handled")],
        responses=s.EventPageSerializer,
    )
    def get(self, request):
        after = _after(request)
        events = list(
            events_visible(user=request.user, tenant=request.tenant)
            .filter(id__gt=after)
            .order_by("id")[:PAGE]
        )
        next_after = str(events[-1].pk if events else after)
        if request.accepted_renderer.format == "sse":
            return _stream(events)
        return Response(
            {"events": s.EventSerializer(events, many=True).data, "next_after": next_after}
        )


def _stream(events):
    import json

    def lines():
        yield "retry: 2000\n\n"
        for event in events:
            data = json.dumps(s.EventSerializer(event).data, separators=(",", ":"))
            yield f"id: {event.pk}\nevent: {event.kind}\ndata: {data}\n\n"
        yield ": heartbeat\n\n"

    response = StreamingHttpResponse(lines(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@write_scope("admin")
class WebhookViewSet(ApiViewSet):
    """A tenant's webhook endpoints, for its Security Officers. The secret is shown once."""

    queryset = WebhookEndpoint.objects.none()
    serializer_class = s.WebhookEndpointSerializer
    lookup_value_regex = r"\d+"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        security_officer_require(request.user)

    def _endpoint(self, pk) -> WebhookEndpoint:
        endpoint = WebhookEndpoint.objects.filter(pk=int(pk)).first()
        if endpoint is None:
            from django.http import Http404

            raise Http404("No such webhook.")
        return endpoint

    def list(self, request):
        return self.paginated(WebhookEndpoint.objects.all(), s.WebhookEndpointSerializer)

    def retrieve(self, request, pk=None):
        return Response(s.WebhookEndpointSerializer(self._endpoint(pk)).data)

    @extend_schema(request=s.WebhookCreateSerializer, responses={201: s.WebhookCreatedSerializer})
    def create(self, request):
        checked = s.WebhookCreateSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        endpoint, secret = event_services.webhook_endpoint_create(
            actor=request.user, **checked.validated_data
        )
        endpoint.secret = secret
        return Response(s.WebhookCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.WebhookEndpointSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        endpoint = event_services.webhook_endpoint_set_active(
            actor=request.user, endpoint=self._endpoint(pk), active=False
        )
        return Response(s.WebhookEndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses=s.WebhookEndpointSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        endpoint = event_services.webhook_endpoint_set_active(
            actor=request.user, endpoint=self._endpoint(pk), active=True
        )
        return Response(s.WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses=s.WebhookDeliverySerializer(many=True))
    @action(detail=True)
    def deliveries(self, request, pk=None):
        deliveries = WebhookDelivery.objects.filter(endpoint=self._endpoint(pk))
        return self.paginated(deliveries, s.WebhookDeliverySerializer)

    @extend_schema(request=None, responses={202: s.WebhookDeliverySerializer})
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>\d+)/redeliver")
    def redeliver(self, request, pk=None, delivery_id=None):
        delivery = WebhookDelivery.objects.filter(
            endpoint=self._endpoint(pk), pk=int(delivery_id)
        ).first()
        if delivery is None:
            from django.http import Http404

            raise Http404("No such delivery.")
        again = event_services.delivery_redeliver(actor=request.user, delivery=delivery)
        return Response(s.WebhookDeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
