"""Guidance rules (admin-edited data), published rule-set versions and day scores."""

import json
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RawJSON(str):
    """JSON text that is already encoded: stored as is (the bulk rescore builds breakdowns as text)."""


class BreakdownEncoder(json.JSONEncoder):
    def encode(self, o: Any) -> str:
        if isinstance(o, RawJSON):
            return str(o)
        return super().encode(o)


class BreakdownField(models.JSONField):
    """A JSON field inserted with one placeholder per value.

    Having get_placeholder keeps PostgreSQL bulk inserts off the UNNEST(array) path,
    where quoting each JSON text as an array element costs more than the whole rescore.
    """

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"


class RuleSetVersion(models.Model):
    """A published, frozen snapshot of the active rules. Scores point to the version that made them."""

    number = models.PositiveIntegerField(unique=True)
    # The frozen list of rule specs (key, kind, params, weight, titles, rationales) as published.
    rules = models.JSONField(default=list)
    note = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Progress of the background rescore that publishing starts (patients, in id order).
    rescore_total = models.PositiveIntegerField(default=0)
    rescore_done = models.PositiveIntegerField(default=0)
    rescore_cursor = models.BigIntegerField(default=0)  # last patient id rescored
    rescore_started_at = models.DateTimeField(null=True, blank=True)
    rescore_finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-number"]

    def __str__(self) -> str:
        return f"v{self.number}"

    @property
    def rescore_percent(self) -> int:
        """100 only once the rescore has finished: nothing counted yet is 0, not "done"."""
        if self.rescore_finished_at:
            return 100
        if not self.rescore_total:
            return 0
        return min(99, int(100 * self.rescore_done / self.rescore_total))


class Rule(models.Model):
    key = models.SlugField(_("key"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=32)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    weight = models.FloatField(_("weight (points)"), default=10)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(default=0)
    title_en = models.CharField(_("title (English)"), max_length=120)
    title_fr = models.CharField(_("title (French)"), max_length=120)
    rationale_en = models.TextField(_("rationale (English)"), max_length=2000)
    rationale_fr = models.TextField(_("rationale (French)"), max_length=2000)
    # The article and the section the rule comes from, as the rationale page shows it.
    source = models.CharField(_("source article and section"), max_length=400)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["order", "key"]

    def __str__(self) -> str:
        return self.title_en


class DayScore(models.Model):
    """The score of one patient-day under one rule-set version (derived data, rebuildable)."""

    # No separate patient index: the unique (patient, date) index serves patient lookups.
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    date = models.DateField()
    # No index either: versions are never deleted and no page filters scores by version alone.
    version = models.ForeignKey(RuleSetVersion, on_delete=models.PROTECT, related_name="scores", db_index=False)
    total = models.FloatField()
    # [{"key", "points", "possible", "counted": {...}, "days_logged", "window_days"}, ...]
    breakdown = BreakdownField(default=list, encoder=BreakdownEncoder)
    logged = models.BooleanField(default=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["patient", "date"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["patient", "date"], name="dayscore_one_per_day")]

    def __str__(self) -> str:
        return f"{self.date}: {self.total:.0f}"


class StaleDay(models.Model):
    """A patient-day whose entries changed: it and the next 6 days need rescoring.

    Written when a change is scheduled, deleted by the rescore that covers it; the
    periodic sweep rescores whatever is left (e.g. the broker was down).
    """

    # Indexed by staleday_one_per_day (patient, date) below.
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    date = models.DateField()
    marked_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["patient", "date"], name="staleday_one_per_day")]

    def __str__(self) -> str:
        return f"stale {self.date}"


class QueuedRescore(models.Model):
    """Whether the rescore of the stale days is queued: one row, its time set by the save that queues
    it and cleared when it starts (guidance.services.claim_rescore), so a burst of saves, one
    patient's or many patients', makes one rescore."""

    queued_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"rescore queued at {self.queued_at}" if self.queued_at else "no rescore queued"
