"""The REST API root at /api/v1/. Each app adds its routes to `api_urlpatterns`."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def api_root(request):
    return Response(
        {
            "version": "1",
            "tenant": request.tenant.name,
            "endpoints": {"schema": "schema/", "docs": "docs/"},
        }
    )


api_urlpatterns = [
    path("", api_root, name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The resources of api/ (a string: the project's URL conf does not import the API's views).
    path("", include("api.urls")),
]
