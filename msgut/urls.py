from django.contrib import admin
from django.urls import include, path

from msgut import pwa, views

handler403 = "msgut.views.permission_denied"
handler500 = "msgut.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("offline/", pwa.offline, name="offline"),
    path("accounts/", include("accounts.urls")),
    path("day/", include("tracker.urls")),
    path("guidance/", include("guidance.urls")),
    path("trends/", include("trends.urls")),
    path("clinic/", include("clinic.urls")),
    path("reminders/", include("reminders.urls")),
    path("admin/", admin.site.urls),
]
