from django.urls import path

from guidance import views

app_name = "guidance"

urlpatterns = [
    path("rules/", views.rule_list, name="rules"),
    path("rules/<slug:key>/", views.rule_detail, name="rule"),
]
