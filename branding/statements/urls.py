from django.urls import path

from branding.statements import report_views, views

app_name = "statements"

urlpatterns = [
    path("<int:statement_id>/<str:fmt>/", views.statement_download, name="download"),
    path(
        "confirmations/<int:account_id>/<str:trade_date>/<str:fmt>/",
        report_views.confirmation_download,
        name="confirmation",
    ),
    path(
        "gains/<int:account_id>/<int:year>/<str:fmt>/",
        report_views.gains_download,
        name="gains",
    ),
]
