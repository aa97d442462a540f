"""Clinic background jobs: keeping the dashboard's stored flags current.

The worker refreshes a patient's row right after rescoring their days (`msgut.events.scores_stored`);
this periodic job recomputes the rows computed for an earlier day (the day turned: the 14-day
windows, the 30-day relapse window and the days since the last entry moved), so the first dashboard
of the day does not compute them. The dashboard computes any row still stale itself.
"""

import logging

from celery import shared_task
from django.utils import timezone

from accounts.models import Role, User
from clinic import services
from msgut.celery import RETRY_ON_IO_ERRORS

logger = logging.getLogger(__name__)

REFRESH_MAX_PATIENTS = 20_000


def refresh_flags_now(patient_ids: list[int]) -> None:
    """Refresh these patients' rows in this process. Never raises: the periodic job or the dashboard
    itself computes a row that could not be refreshed."""
    try:
        services.refresh_flags(patient_ids=patient_ids)
    except Exception:
        logger.exception("could not refresh the dashboard flags of %s patients", len(patient_ids))


@shared_task(**RETRY_ON_IO_ERRORS)
def refresh_stale_flags_task() -> int:
    """Recompute the stored rows of every patient not computed for today (missing ones too)."""
    today = timezone.localdate()
    stale = list(
        User.objects.filter(role=Role.PATIENT, is_active=True)
        .exclude(dashboard_flags__computed_for=today)
        .order_by("pk")
        .values_list("pk", flat=True)[:REFRESH_MAX_PATIENTS]
    )
    return services.refresh_flags(patient_ids=stale, today=today)
