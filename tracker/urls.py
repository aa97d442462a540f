from datetime import date

from django.urls import path, register_converter

from msgut.dates import parse_path_date
from tracker.views import day, entries, foods, meals, medications, mfis, month, relapses, sections


class IsoDateConverter:
    """A calendar date in the path (not health data): /day/2026-11-20/. Impossible dates, and dates
    before 1900 or beyond a year from now (msgut.dates), are 404s."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        return parse_path_date(value)

    def to_url(self, value: date) -> str:
        return value.isoformat()


register_converter(IsoDateConverter, "isodate")

app_name = "tracker"

urlpatterns = [
    path("", day.today, name="today"),
    path("go/", day.go_to_day, name="go"),
    path("month/", month.month, name="month"),
    path("month/<int:year>/<int:month>/", month.month, name="month-of"),
    path("<isodate:day>/", day.day_page, name="day"),
    path("<isodate:day>/section/<str:section>/", day.section, name="section"),
    path("<isodate:day>/score/", day.day_score, name="day-score"),
    path("<isodate:day>/score/line/", day.day_score_line, name="day-score-line"),
    path("<isodate:day>/search/", meals.food_search, name="food-search"),
    path("<isodate:day>/meals/same-as-yesterday/", meals.copy_day, name="copy-day"),
    path("<isodate:day>/meals/<str:meal>/add/", meals.add_item, name="meal-add"),
    path("<isodate:day>/meals/<str:meal>/same-as-yesterday/", meals.copy_meal, name="copy-meal"),
    path("<isodate:day>/meals/<str:meal>/saved/", meals.apply_saved, name="apply-saved"),
    path("<isodate:day>/meals/<str:meal>/save-as/", meals.save_meal, name="save-meal"),
    path("<isodate:day>/favorite/<int:food_id>/", meals.favorite, name="favorite"),
    path("<isodate:day>/sleep/", sections.sleep, name="sleep"),
    path("<isodate:day>/fatigue/", sections.fatigue, name="fatigue"),
    path("<isodate:day>/symptoms/", sections.symptoms, name="symptoms"),
    path("<isodate:day>/stool/", sections.stool, name="stool"),
    path("<isodate:day>/custom-symptom/", sections.custom_symptom, name="custom-symptom"),
    path("<isodate:day>/lifestyle/", sections.lifestyle, name="lifestyle"),
    path("<isodate:day>/medicines/", medications.medicines, name="medicines"),
    path("items/<int:pk>/edit/", meals.edit_item, name="item-edit"),
    path("delete/<str:kind>/<int:pk>/", entries.delete, name="delete"),
    path("foods/", foods.my_foods, name="foods"),
    path("foods/new/", foods.food_form, name="food-new"),
    path("foods/<int:pk>/edit/", foods.food_form, name="food-edit"),
    path("saved-meals/<int:pk>/delete/", foods.delete_saved_meal, name="saved-meal-delete"),
    path("relapses/", relapses.relapses, name="relapses"),
    path("relapses/new/", relapses.relapse_form, name="relapse-new"),
    path("relapses/<int:pk>/edit/", relapses.relapse_form, name="relapse-edit"),
    path("mfis/", mfis.mfis, name="mfis"),
    path("treatments/", medications.medications, name="medications"),
    path("treatments/<int:pk>/edit/", medications.medication_edit, name="medication-edit"),
    path("treatments/<int:pk>/stop/", medications.medication_stop, name="medication-stop"),
    path("treatments/<int:pk>/delete/", medications.medication_delete, name="medication-delete"),
]
