from django.urls import path

from reminders import views

app_name = "reminders"

urlpatterns = [
    path("", views.reminder_settings, name="settings"),
    path("push/", views.push_subscribe, name="push-subscribe"),
    path("devices/<int:pk>/remove/", views.remove_device, name="device-remove"),
    path("stop/<str:token>/", views.stop, name="stop"),
]
