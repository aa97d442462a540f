"""Demo data for guidance; called by `manage.py load_demo` after the tracker demo."""

from typing import Any

from guidance import selectors, services


def load(users: dict[str, Any], out: Any) -> None:
    """Score every logged day of the demo patient under the published rules. Safe to run twice."""
    patient = users.get("patient")
    version = selectors.current_version()
    if patient is None or version is None:
        return
    stored = services.rescore_patients(patient_ids=[patient.pk], start=None, end=None, version=version)
    out.write(f"guidance: scored {stored} days of the demo patient with rule set v{version.number}\n")
