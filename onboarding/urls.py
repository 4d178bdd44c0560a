from django.urls import path

from . import views

app_name = "onboarding"

urlpatterns = [
    path("", views.start, name="start"),
    path("resume/<str:token>/", views.resume, name="resume"),
    path("step/<slug:slug>/", views.step, name="step"),
    path("documents/", views.documents, name="documents"),
    path("review/", views.review, name="review"),
    path("done/", views.done, name="done"),
]
