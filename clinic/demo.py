"""Demo data for the clinician workspace; called by `manage.py load_demo` after tracker, guidance and trends.

The demo patient shares with the demo clinician, and five more demo patients
(one per dashboard flag, and one doing well) share with them too. Safe to run
again: patients that exist keep their history.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone

from accounts.models import MSCourse, Profile, Role, User
from accounts.services import register_user
from clinic.models import AccessGrant, ConsentWording
from clinic.services import add_note, grant_access, invite_code_for
from guidance import selectors as guidance_selectors
from guidance import services as guidance_services
from tracker.demo import make_history, mfis_items
from tracker.models import FatigueRating, MealItem, MFISResponse, Recovery, Relapse, Severity
from trends import services as trends_services

HISTORY_DAYS = 84


@dataclass(frozen=True)
class DemoPatient:
    email: str
    name: str
    seed: int
    course: str
    diagnosed: int
    why: str


DEMO_PATIENTS = [
    DemoPatient("ines@demo.msgut", "Inès (demo: recent relapse)", 11, MSCourse.RR, 2015, "relapse"),
    DemoPatient("paul@demo.msgut", "Paul (demo: fatigue rising)", 12, MSCourse.RR, 2019, "fatigue"),
    DemoPatient("sofia@demo.msgut", "Sofia (demo: day score falling)", 13, MSCourse.SP, 2008, "adherence"),
    DemoPatient("marc@demo.msgut", "Marc (demo: no entries for 9 days)", 14, MSCourse.RR, 2021, "inactive"),
    DemoPatient("lea@demo.msgut", "Léa (demo: doing well)", 15, MSCourse.CIS, 2024, "well"),
]


def _history(spec: DemoPatient, patient: User, today: date) -> None:
    start = today - timedelta(days=HISTORY_DAYS)
    rng = random.Random(spec.seed)
    if spec.why == "adherence":
        # Good Mediterranean weeks, then two weeks of processed food: the day score drops.
        make_history(patient, start, today - timedelta(days=15), seed=spec.seed, style="mediterranean")
        make_history(patient, today - timedelta(days=14), today, seed=spec.seed + 100, style="processed")
    elif spec.why == "inactive":
        make_history(patient, start, today - timedelta(days=9), seed=spec.seed, style="mixed", log_probability=0.85)
    elif spec.why == "well":
        make_history(patient, start, today, seed=spec.seed, style="mediterranean", fatigue_trend=-0.05)
    else:
        make_history(patient, start, today, seed=spec.seed, style="mixed")
    if spec.why == "fatigue":
        # The last two weeks are clearly more tiring than the two before.
        FatigueRating.objects.filter(patient=patient, date__gt=today - timedelta(days=14)).update(
            score=Least(F("score") + Value(3), Value(10))
        )
    if spec.why == "relapse":
        Relapse.objects.create(
            patient=patient,
            started_on=today - timedelta(days=12),
            symptoms="Blurred vision in the right eye, pain when moving it.",
            severity=Severity.MODERATE,
            lasted_over_24h=True,
            steroids=True,
            recovery=Recovery.ONGOING,
        )
    level = {"fatigue": 2.6, "relapse": 2.3, "adherence": 1.8, "inactive": 1.5, "well": 0.9}[spec.why]
    for weeks_ago in (10, 6, 2):
        MFISResponse.objects.get_or_create(
            patient=patient,
            date=today - timedelta(weeks=weeks_ago),
            defaults={
                "items": mfis_items(rng, level + (0.3 if weeks_ago == 2 and spec.why == "fatigue" else 0)),
                "completed": True,
            },
        )


def _build_derived(patient: User) -> None:
    """Day scores and weekly summaries for a generated history, through the guidance and trends services."""
    version = guidance_selectors.current_version()
    if version is not None:
        guidance_services.rescore_patients(patient_ids=[patient.pk], start=None, end=None, version=version)
    trends_services.rebuild_patient(patient_id=patient.pk)


def _ensure_grant(patient: User, clinician: User, wording: ConsentWording) -> None:
    if not AccessGrant.objects.active().filter(patient=patient, clinician=clinician).exists():
        grant_access(patient=patient, clinician=clinician, wording=wording)


def load(users: dict[str, Any], out: Any) -> None:
    """Create this feature's demo data for the demo users. Must be safe to run twice."""
    clinician = users.get("clinician")
    if clinician is None:
        return
    wording = ConsentWording.current()
    invite_code_for(clinician=clinician)
    today = timezone.localdate()
    demo_patient = users.get("patient")
    if demo_patient is not None:
        _ensure_grant(demo_patient, clinician, wording)
    created = 0
    for spec in DEMO_PATIENTS:
        patient = User.objects.filter(email=spec.email).first()
        if patient is None:
            patient = register_user(email=spec.email, password=None, role=Role.PATIENT, display_name=spec.name)
            Profile.objects.filter(user=patient).update(ms_course=spec.course, diagnosis_year=spec.diagnosed)
            if not MealItem.objects.filter(patient=patient).exists():
                _history(spec, patient, today)
                _build_derived(patient)
            created += 1
        _ensure_grant(patient, clinician, wording)
        if spec.why == "relapse" and not patient.clinician_notes.exists():
            add_note(
                patient=patient,
                author=clinician,
                body="Phone call: vision worse for 3 days. Steroids started by the neurologist on call.",
            )
    out.write(
        f"clinic demo: {created} new demo patients; {clinician.email} sees {len(DEMO_PATIENTS) + 1} patients "
        f"(invite code {invite_code_for(clinician=clinician).display})"
    )
