"""The app's URLs plus a bare view, for measuring our pages against Django itself."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from msgut.urls import urlpatterns as app_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("bench/bare", bare), *app_urlpatterns]
