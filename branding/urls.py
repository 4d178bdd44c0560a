from django.urls import path

from . import views

app_name = "branding"

urlpatterns = [
    path("theme.css", views.theme_stylesheet, name="theme"),
    path("logo", views.logo, name="logo"),
    path("favicon.png", views.favicon, name="favicon"),
    path("icon-<int:size>.png", views.icon, name="icon"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
