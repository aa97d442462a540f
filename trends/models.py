"""Weekly summaries: derived, rebuildable rows (one per patient and ISO week).

The source of truth stays in tracker/ and guidance/; a summary is rebuilt by
`trends.services` whenever the fingerprint of its source data changes.
"""

from datetime import date, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models


class WeeklySummaryQuerySet(models.QuerySet["WeeklySummary"]):
    def of_patient_between(self, patient_id: int, start: date, end: date) -> "WeeklySummaryQuerySet":
        """The patient's weeks that overlap [start, end], oldest first."""
        return self.filter(
            patient_id=patient_id, week_start__gte=start - timedelta(days=6), week_start__lte=end
        ).order_by("week_start")


class WeeklySummary(models.Model):
    """One patient's ISO week (Monday to Sunday): means over the days actually logged.

    Food measures are means per day with meals logged, sleep per night logged and
    fatigue per day rated: a day without entries is missing, never a zero.
    """

    # Indexed by weeklysummary_one_per_week (patient, week_start) below.
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    # The Monday of the ISO week; (iso_year, iso_week) are kept for labels and queries by week number.
    week_start = models.DateField()
    iso_year = models.PositiveSmallIntegerField()
    iso_week = models.PositiveSmallIntegerField()

    days_logged = models.PositiveSmallIntegerField(default=0)
    meal_days = models.PositiveSmallIntegerField(default=0)
    sleep_nights = models.PositiveSmallIntegerField(default=0)
    fatigue_days = models.PositiveSmallIntegerField(default=0)
    score_days = models.PositiveSmallIntegerField(default=0)

    mean_score = models.FloatField(null=True, blank=True)
    # [{"key": "fiber", "points": 12.5, "possible": 20.0, "days": 5}, ...] in rule order: each rule's mean.
    rule_means = models.JSONField(default=list, blank=True)
    fiber_g = models.FloatField(null=True, blank=True)
    fermented_servings = models.FloatField(null=True, blank=True)
    processed_servings = models.FloatField(null=True, blank=True)
    sleep_minutes = models.FloatField(null=True, blank=True)
    # Regularity: population standard deviation of the mid-sleep time, in minutes (needs 2 nights).
    mid_sleep_sd_minutes = models.FloatField(null=True, blank=True)
    fatigue_mean = models.FloatField(null=True, blank=True)
    relapse_days = models.PositiveSmallIntegerField(default=0)

    # The week's daily series the charts and insights are drawn from (see trends.weekly.figure_data).
    figure = models.JSONField(default=dict, blank=True)
    # Hash of the week's source data per day: an unchanged week is not rewritten.
    fingerprint = models.CharField(max_length=48)
    built_at = models.DateTimeField()

    objects: ClassVar[WeeklySummaryQuerySet] = WeeklySummaryQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering: ClassVar = ["patient", "week_start"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["patient", "week_start"], name="weeklysummary_one_per_week")
        ]
        verbose_name_plural = "weekly summaries"

    def __str__(self) -> str:
        return f"{self.iso_year}-W{self.iso_week:02d}"

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)


class PendingWeek(models.Model):
    """A patient-week whose entries changed and whose rebuild is queued (the debounce marker).

    Created by `schedule_rebuild`, deleted by the build task when it starts. While
    it exists, later changes to the same week do not enqueue another task; if the
    enqueue failed (broker down) `enqueued_at` stays empty and the nightly
    catch-up builds the week.
    """

    # Indexed by pendingweek_one_per_week (patient, week_start) below.
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    week_start = models.DateField()
    requested_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["patient", "week_start"], name="pendingweek_one_per_week")
        ]

    def __str__(self) -> str:
        return f"pending week of {self.week_start}"
