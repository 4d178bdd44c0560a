from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "clientportal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="clientportal:login"), name="logout"),
]
