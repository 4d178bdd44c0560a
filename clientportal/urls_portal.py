"""Portal pages (dashboard at "" is `clientportal:home` in urls.py)."""

from django.urls import path

from . import views

portal_urlpatterns = [
    path("positions/", views.positions, name="positions"),
    path("trade/", views.trade, name="trade"),
    path("trade/paper/", views.paper_open, name="paper_open"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/cancel/", views.order_cancel_view, name="order_cancel"),
    path("performance/", views.performance, name="performance"),
    path("cash/", views.cash, name="cash"),
    path("transfers/", views.transfers, name="transfers"),
    path("transfers/withdraw/", views.withdrawal_request, name="withdrawal_request"),
    path("activity/", views.activity, name="activity"),
    path("statements/", views.statements, name="statements"),
    path("messages/", views.messages_index, name="messages"),
    path("messages/<int:thread_id>/", views.message_thread, name="message_thread"),
    path("info/", views.content_index, name="content"),
    path("content/<int:page_id>/", views.content_detail, name="content_detail"),
    path("disclosures/", views.disclosures, name="disclosures"),
    path(
        "disclosures/<int:page_id>/accept/",
        views.disclosure_accept_view,
        name="disclosure_accept",
    ),
]
