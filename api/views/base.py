"""The base of every API view: idempotent POSTs, cursor pagination, problem details."""

from rest_framework import viewsets
from rest_framework.views import APIView

from api.idempotency import IdempotentMixin


class ApiView(IdempotentMixin, APIView):
    pass


class ApiViewSet(IdempotentMixin, viewsets.GenericViewSet):
    def paginated(self, queryset, serializer_class, **context):
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context={"request": self.request, **context}).data
        return self.get_paginated_response(data)
