"""Routes under /api/v1/ (included by brokerportal.api, in the `api` namespace)."""

from django.urls import path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from api.views.accounts import AccountViewSet, MasterViewSet
from api.views.applications import ApplicationViewSet
from api.views.events import EventList, WebhookViewSet
from api.views.messages import ThreadViewSet
from api.views.statements import StatementViewSet
from api.views.transfers import DepositNoticeViewSet, InternalTransferViewSet, WithdrawalViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="accounts")
router.register("masters", MasterViewSet, basename="masters")
router.register("withdrawals", WithdrawalViewSet, basename="withdrawals")
router.register("deposit-notices", DepositNoticeViewSet, basename="deposit-notices")
router.register("journals", InternalTransferViewSet, basename="journals")
router.register("threads", ThreadViewSet, basename="threads")
router.register("webhooks", WebhookViewSet, basename="webhooks")
router.register("statements", StatementViewSet, basename="statements")
router.register("applications", ApplicationViewSet, basename="applications")

urlpatterns = [
    path("events/", EventList.as_view(), name="events"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    *router.urls,
]
