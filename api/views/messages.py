"""Secure messages: a client's own threads, every thread of the tenant for staff (the screens'
`access_thread`)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from api import serializers as s
from api.permissions import write_scope
from api.views.base import ApiViewSet
from clientportal import services
from clientportal.access import access_thread
from clientportal.models import MessageThread
from clientportal.selectors import thread_messages, threads_for_client, threads_for_staff


@write_scope("read")
class ThreadViewSet(ApiViewSet):
    queryset = MessageThread.objects.none()
    serializer_class = s.ThreadSerializer
    lookup_value_regex = r"\d+"
    pagination_class = type("ThreadCursor", (ApiViewSet.pagination_class,), {"ordering": "-id"})

    def list(self, request):
        user = request.user
        threads = threads_for_staff() if user.is_staff else threads_for_client(user=user)
        return self.paginated(threads, s.ThreadSerializer)

    @extend_schema(
        responses=s.MessageSerializer(many=True),
        operation_id="threads_messages",
        description="The thread's messages, newest first, cursor-paginated like every list.",
    )
    def retrieve(self, request, pk=None):
        thread = access_thread(user=request.user, thread_id=pk, as_staff=request.user.is_staff)
        return self.paginated(thread_messages(thread=thread), s.MessageSerializer)

    @extend_schema(request=s.ThreadCreateSerializer, responses={201: s.ThreadSerializer})
    def create(self, request):
        checked = s.ThreadCreateSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        if request.user.is_staff:
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("Staff answer clients' threads; a client starts a thread.")
        thread = services.message_thread_start(client=request.user, **checked.validated_data)
        return Response(s.ThreadSerializer(thread).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.MessagePostSerializer, responses={201: s.MessageSerializer})
    @action(detail=True, methods=["post"], url_path="messages")
    def message(self, request, pk=None):
        thread = access_thread(user=request.user, thread_id=pk, as_staff=request.user.is_staff)
        checked = s.MessagePostSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        message = services.message_post(
            thread=thread,
            sender=request.user,
            body=checked.validated_data["body"],
            from_staff=request.user.is_staff,
        )
        return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)
