from django.core.management import call_command

from accounts.models import User
from tracker.models import FatigueRating, MealItem, MFISResponse, SleepDiary


def snapshot(seed: int) -> list[tuple]:
    patients = User.objects.filter(email__startswith=f"p{seed}-").order_by("email")
    return [
        (
            p.email,
            sorted(MealItem.objects.filter(patient=p).values_list("date", "meal", "food__name_en", "grams")),
            sorted(FatigueRating.objects.filter(patient=p).values_list("date", "score")),
        )
        for p in patients
    ]


def test_it_makes_varied_patients_with_daily_entries(db):
    call_command("generate_data", patients=3, days=30, seed=5)
    patients = User.objects.filter(email__startswith="p5-")
    assert patients.count() == 3
    for patient in patients:
        assert MealItem.objects.filter(patient=patient).values("date").distinct().count() >= 15
        assert SleepDiary.objects.filter(patient=patient).exists()
        assert MFISResponse.objects.filter(patient=patient, completed=True).exists()
        assert patient.profile.time_zone
    sleep = SleepDiary.objects.filter(patient__in=patients).first()
    assert sleep is not None and sleep.total_sleep_minutes > 0 and sleep.created_at is not None


def test_it_is_deterministic_for_a_seed(db):
    call_command("generate_data", patients=2, days=21, seed=9)
    first = snapshot(9)
    MealItem.objects.all().delete()
    FatigueRating.objects.all().delete()
    SleepDiary.objects.all().delete()
    User.objects.filter(email__startswith="p9-").delete()
    call_command("generate_data", patients=2, days=21, seed=9)
    assert snapshot(9) == first


def test_running_it_again_adds_no_duplicate_patients(db):
    call_command("generate_data", patients=2, days=7, seed=4)
    call_command("generate_data", patients=2, days=7, seed=4)
    assert User.objects.filter(email__startswith="p4-").count() == 2
