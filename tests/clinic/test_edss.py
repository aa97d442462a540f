"""EDSS: a granted clinician records a Kurtzke score with its date; the patient sees it, neutrally."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from clinic.models import EDSSScore
from clinic.selectors import edss_history
from tests.factories import ClinicianFactory, PatientFactory
from tracker.measures import EDSS_SCORES


def test_the_scale_has_the_twenty_kurtzke_steps():
    assert len(EDSS_SCORES) == 20
    assert [str(s) for s in EDSS_SCORES[:4]] == ["0.0", "1.0", "1.5", "2.0"]
    assert EDSS_SCORES[-2:] == (Decimal("9.5"), Decimal("10.0"))
    assert Decimal("0.5") not in EDSS_SCORES


@pytest.mark.django_db
def test_the_database_refuses_a_score_off_the_scale_and_two_on_one_day():
    patient, clinician = PatientFactory(), ClinicianFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        EDSSScore.objects.create(patient=patient, score=Decimal("0.5"), assessed_on=date(2026, 1, 5))
    EDSSScore.objects.create(patient=patient, score=Decimal("3.5"), assessed_on=date(2026, 1, 5), recorded_by=clinician)
    with pytest.raises(IntegrityError), transaction.atomic():
        EDSSScore.objects.create(patient=patient, score=Decimal("4.0"), assessed_on=date(2026, 1, 5))


@pytest.mark.django_db
def test_edss_history_is_newest_first_up_to_the_end_date():
    patient = PatientFactory()
    days = [date(2025, 1, 15), date(2025, 7, 1), date(2026, 1, 5), date(2026, 3, 1)]
    for day in days:
        EDSSScore.objects.create(patient=patient, score=Decimal("3.0"), assessed_on=day)
    EDSSScore.objects.create(patient=PatientFactory(), score=Decimal("6.0"), assessed_on=date(2026, 1, 6))
    assert [s.assessed_on for s in edss_history(patient)] == days[::-1]
    assert [s.assessed_on for s in edss_history(patient, end=date(2026, 2, 1), limit=2)] == [days[2], days[1]]
