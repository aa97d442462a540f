"""Demo data for trends; called by `manage.py load_demo` after the tracker and guidance demos."""

from typing import Any

from django.db import transaction

from trends import services


def load(users: dict[str, Any], out: Any) -> None:
    """Build every week of the demo patient now, so the dashboard is full on first sight. Safe to run twice.

    The demo patients the clinic demo adds after this one get their weeks from a
    catch-up run once the whole demo is committed (`load_demo` is one transaction).
    """
    patient = users.get("patient")
    if patient is not None:
        report = services.rebuild_patient(patient_id=patient.pk)
        out.write(f"trends: {report.weeks} weeks of the demo patient, {report.written} (re)built\n")
    transaction.on_commit(_build_everyone)


def _build_everyone() -> None:
    services.catch_up()
