"""Whatever is posted to a day's forms: never a 500, and either all of a write or none of it."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from tests.tracker.conftest import TODAY
from tracker.models import (
    CustomSymptom,
    FatigueRating,
    Lifestyle,
    MealItem,
    SleepDiary,
    StoolEvent,
    SymptomLog,
    SymptomRating,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_today")]

TABLES = [MealItem, SleepDiary, FatigueRating, SymptomLog, SymptomRating, StoolEvent, Lifestyle]
ENDPOINTS = {
    "sleep": [
        "in_bed_at",
        "tried_sleep_at",
        "minutes_to_fall_asleep",
        "awakenings",
        "minutes_awake",
        "final_wake_at",
        "out_of_bed_at",
        "quality",
    ],
    "fatigue": ["score"],
    "symptoms": ["mood", "stress", "note", "rating_SYMPTOM"],
    "stool": ["bristol_type", "token"],
    "lifestyle": [
        "activity_minutes",
        "tobacco",
        "cigarettes",
        "alcohol_units",
        "vitamin_d_iu",
        "propionate_mg",
        "probiotic",
        "other_supplements",
    ],
    "meals/lunch/add": ["food", "amount", "unit", "token"],
}

texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=2001, max_size=2100),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "10",
            "11",
            "7",
            "1e400",
            "NaN",
            "inf",
            "23:59",
            "12:00",
            "25:61",
            "06:30",
            "22:30",
            "2026-11-21",
            "\x00",
            "on",
            "portion",
            "g",
            "999999999999999999999",
            "3.5",
            " 4 ",
            "<script>",
        ]
    ),
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
days = st.sampled_from([TODAY, TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1), dt.date(2020, 2, 29)])


def _snapshot():
    return {model.__name__: model.objects.count() for model in TABLES}


@given(
    endpoint=st.sampled_from(sorted(ENDPOINTS)),
    values=st.lists(texts, min_size=8, max_size=8),
    day=days,
    extra_patient=st.booleans(),
    htmx=st.booleans(),
)
def test_it_never_answers_500_and_never_writes_half_a_form(
    patient_client, patient, other_patient, day_foods, endpoint, values, day, extra_patient, htmx
):
    symptom = CustomSymptom.objects.get_or_create(patient=patient, name="Tingling")[0]
    data = {}
    for field, value in zip(ENDPOINTS[endpoint], values, strict=False):
        name = field.replace("SYMPTOM", str(symptom.pk))
        data[name] = str(day_foods["oats"].pk) if name == "food" and value == "7" else value
    if extra_patient:
        data["patient"] = str(other_patient.pk)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    with transaction.atomic():
        before = _snapshot()
        response = patient_client.post(f"/day/{day.isoformat()}/{endpoint}/", data, **headers)
        after = _snapshot()
        assert response.status_code < 500
        changed = {name for name in before if before[name] != after[name]}
        saved = (response.status_code == 302 and "#" in response.get("Location", "")) or (
            response.status_code == 200
            and htmx
            and "hx-swap-oob" in response.content.decode()
            and "day-score" in response.content.decode()
        )
        if not saved or day > TODAY:
            assert not changed, (endpoint, data, response.status_code)
        if endpoint == "symptoms" and changed:
            # The log and its rating land together or not at all.
            assert "SymptomLog" in changed or "SymptomRating" in changed
        for model in TABLES:
            assert not model.objects.filter(patient=other_patient).exists()
        transaction.set_rollback(True)
