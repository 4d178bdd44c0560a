from django.urls import path

from branding.statements import views

app_name = "statements"

urlpatterns = [
    path("<int:statement_id>/<str:fmt>/", views.statement_download, name="download"),
]
