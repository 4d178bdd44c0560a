"""Routes under /api/v1/ (included by brokerportal.api, in the `api` namespace)."""

from django.urls import path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from api.views.accounts import AccountViewSet, MasterViewSet
from api.views.allocations import allocation_api_urlpatterns
from api.views.applications import ApplicationViewSet
from api.views.events import EventList, WebhookViewSet
from api.views.exceptions import ExceptionAcknowledgeView, ExceptionList
from api.views.executions import ExecutionViewSet
from api.views.funding import DeskJournalViewSet, JournalBatchViewSet
from api.views.messages import ThreadViewSet
from api.views.orders import OrderViewSet
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
router.register("executions", ExecutionViewSet, basename="executions")
router.register("orders", OrderViewSet, basename="orders")
router.register("desk-journals", DeskJournalViewSet, basename="desk-journals")
router.register("journal-batches", JournalBatchViewSet, basename="journal-batches")

urlpatterns = [
    path("events/", EventList.as_view(), name="events"),
    path("exceptions/", ExceptionList.as_view(), name="exceptions-list"),
    path(
        "exceptions/acknowledge/",
        ExceptionAcknowledgeView.as_view(),
        name="exceptions-acknowledge",
    ),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    *allocation_api_urlpatterns,
    *router.urls,
]
