from datetime import date


def schedule_rescore(patient_id: int, day: date) -> None:
    """Enqueue rescoring of `day` and the days whose 7-day window contains it (guidance issue)."""
