from datetime import date


def schedule_rebuild(patient_id: int, day: date) -> None:
    """Enqueue a debounced rebuild of the ISO week containing `day` (charts issue)."""
