from datetime import date

from django.urls import path, register_converter

from . import views


class IsoDateConverter:
    """A calendar date in the path (not health data): /day/2026-11-20/. Impossible dates are 404s."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        return date.fromisoformat(value)

    def to_url(self, value: date) -> str:
        return value.isoformat()


register_converter(IsoDateConverter, "isodate")

app_name = "tracker"

urlpatterns = [
    path("", views.today, name="today"),
    path("go/", views.go_to_day, name="go"),
    path("month/", views.month, name="month"),
    path("month/<int:year>/<int:month>/", views.month, name="month-of"),
    path("<isodate:day>/", views.day_page, name="day"),
    path("<isodate:day>/section/<str:section>/", views.section, name="section"),
    path("<isodate:day>/search/", views.food_search, name="food-search"),
    path("<isodate:day>/meals/same-as-yesterday/", views.copy_day, name="copy-day"),
    path("<isodate:day>/meals/<str:meal>/add/", views.add_item, name="meal-add"),
    path("<isodate:day>/meals/<str:meal>/same-as-yesterday/", views.copy_meal, name="copy-meal"),
    path("<isodate:day>/meals/<str:meal>/saved/", views.apply_saved, name="apply-saved"),
    path("<isodate:day>/meals/<str:meal>/save-as/", views.save_meal, name="save-meal"),
    path("<isodate:day>/favorite/<int:food_id>/", views.favorite, name="favorite"),
    path("<isodate:day>/sleep/", views.sleep, name="sleep"),
    path("<isodate:day>/fatigue/", views.fatigue, name="fatigue"),
    path("<isodate:day>/symptoms/", views.symptoms, name="symptoms"),
    path("<isodate:day>/stool/", views.stool, name="stool"),
    path("<isodate:day>/custom-symptom/", views.custom_symptom, name="custom-symptom"),
    path("<isodate:day>/lifestyle/", views.lifestyle, name="lifestyle"),
    path("items/<int:pk>/edit/", views.edit_item, name="item-edit"),
    path("delete/<str:kind>/<int:pk>/", views.delete, name="delete"),
    path("foods/", views.my_foods, name="foods"),
    path("foods/new/", views.food_form, name="food-new"),
    path("foods/<int:pk>/edit/", views.food_form, name="food-edit"),
    path("saved-meals/<int:pk>/delete/", views.delete_saved_meal, name="saved-meal-delete"),
    path("relapses/", views.relapses, name="relapses"),
    path("relapses/new/", views.relapse_form, name="relapse-new"),
    path("relapses/<int:pk>/edit/", views.relapse_form, name="relapse-edit"),
    path("mfis/", views.mfis, name="mfis"),
]
