from django.urls import path

from trends import views

app_name = "trends"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("charts/", views.charts, name="charts"),
]
