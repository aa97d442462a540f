"""Looks and actions a drill takes in a process of its own, against the environment's
DATABASE_URL and REDIS_URL (run by bench.drills); each prints one line of JSON.

    python -m bench.drill_probe caught-up PATIENT_ID...
    python -m bench.drill_probe week reference|enqueue|check PATIENT_ID

A separate process sees the database as the app does after a fault: nothing cached
from before it, its own connection.
"""

import argparse
import json
import os
from typing import Any

from bench.common import setup_django


def caught_up(patient_ids: list[int]) -> dict[str, int]:
    """Run the periodic catch-up jobs, then count the patients whose day scores and week summaries
    are at least as new as their last entry today."""
    from django.utils import timezone

    from guidance.models import DayScore
    from guidance.services import sweep
    from tracker.models import MealItem
    from trends.models import WeeklySummary
    from trends.services import catch_up
    from trends.weekly import week_start

    sweep()
    catch_up()
    today = timezone.localdate()
    last = dict(MealItem.objects.filter(patient_id__in=patient_ids, date=today).values_list("patient_id", "updated_at"))
    scores = dict(
        DayScore.objects.filter(patient_id__in=patient_ids, date=today).values_list("patient_id", "computed_at")
    )
    weeks = dict(
        WeeklySummary.objects.filter(patient_id__in=patient_ids, week_start=week_start(today)).values_list(
            "patient_id", "built_at"
        )
    )
    return {
        "patients": len(last),
        "scored": sum(1 for p, t in last.items() if p in scores and scores[p] >= t),
        "charted": sum(1 for p, t in last.items() if p in weeks and weeks[p] >= t),
    }


def week(action: str, patient: int) -> Any:
    """This week's summary of one patient: built cleanly as a `reference`, deleted and its build
    enqueued for the worker (`enqueue`), or read back as the worker left it (`check`)."""
    from django.utils import timezone

    from trends.models import WeeklySummary
    from trends.services import build_patient_week
    from trends.tasks import build_week_task
    from trends.weekly import week_start

    this_week = week_start(timezone.localdate())

    def row() -> dict[str, Any] | None:
        """The summary's fields but its id and build time, which differ between two builds."""
        found = WeeklySummary.objects.filter(patient_id=patient, week_start=this_week).values().first()
        if found is None:
            return None
        return {field: value for field, value in found.items() if field not in ("id", "built_at")}

    if action == "reference":
        # Settle first: score whatever earlier load left stale, so the reference and the
        # redelivered build see the same day scores.
        from guidance.services import sweep

        sweep()
        build_patient_week(patient_id=patient, day=this_week, force=True)
        return row()
    if action == "enqueue":
        WeeklySummary.objects.filter(patient_id=patient, week_start=this_week).delete()
        build_week_task.apply_async(args=(patient, this_week.isoformat()))
        return {"enqueued": True}
    return row()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    caught = commands.add_parser("caught-up", help="run the catch-up jobs; count patients scored and charted")
    caught.add_argument("patients", type=int, nargs="*")
    one_week = commands.add_parser("week", help="this week's summary of one patient")
    one_week.add_argument("action", choices=["reference", "enqueue", "check"])
    one_week.add_argument("patient", type=int)
    args = parser.parse_args()
    setup_django(os.environ["DATABASE_URL"], redis_url=os.environ.get("REDIS_URL"), create=False)
    result = caught_up(args.patients) if args.command == "caught-up" else week(args.action, args.patient)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
