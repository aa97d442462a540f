"""Consent grants between patients and clinicians, and what clinicians add.

Clinicians never edit a patient's entries: their confirmations and annotations
of relapses live in `RelapseReview`, their notes in `ClinicianNote`.
"""

import hashlib
import secrets
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tracker.measures import EDSS_SCORES

# No 0/O, 1/I/L: codes are read aloud and typed by tired hands.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_invite_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(value: str) -> str:
    """Accept "abcd-efgh", "ABCD EFGH": keep the code's own letters, upper-case."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


class ConsentWording(models.Model):
    """A published consent text. Grants point to the exact version the patient agreed to."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    text_en = models.TextField(_("wording (English)"))
    text_fr = models.TextField(_("wording (French)"))
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-version"]
        verbose_name = _("consent wording")
        verbose_name_plural = _("consent wordings")

    def __str__(self) -> str:
        return f"v{self.version}"

    @property
    def text(self) -> str:
        return self.text_fr if (get_language() or "en").startswith("fr") else self.text_en

    def digest(self) -> str:
        """SHA-256 of both texts: proves later which words were shown, even if a row were edited."""
        return hashlib.sha256(f"{self.version}\n{self.text_en}\n{self.text_fr}".encode()).hexdigest()

    @classmethod
    def current(cls) -> "ConsentWording":
        wording = cls.objects.order_by("-version").first()
        if wording is None:
            raise cls.DoesNotExist("no consent wording is published")
        return wording


class InviteCode(models.Model):
    """The code a clinician gives patients; regenerating it retires the old one."""

    clinician = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invite_code")
    code = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.code

    @property
    def display(self) -> str:
        return f"{self.code[:4]}-{self.code[4:]}"


class AccessGrantQuerySet(models.QuerySet["AccessGrant"]):
    def active(self) -> "AccessGrantQuerySet":
        return self.filter(revoked_at__isnull=True)


class AccessGrant(models.Model):
    """A patient's consent for one clinician to read their data, until revoked."""

    class Via(models.TextChoices):
        CODE = "code", _("invite code")
        INVITATION = "invitation", _("invitation")

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants_given")
    # Indexed by (clinician, revoked_at) below.
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants_received", db_index=False
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    wording = models.ForeignKey(ConsentWording, on_delete=models.PROTECT, related_name="grants")
    # Copy of ConsentWording.digest() at the moment of consent.
    wording_sha256 = models.CharField(max_length=64)
    language = models.CharField(max_length=8, default="en")
    via = models.CharField(max_length=16, choices=Via.choices, default=Via.CODE)

    objects: ClassVar[AccessGrantQuerySet] = AccessGrantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering: ClassVar = ["-granted_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["patient", "clinician"], condition=Q(revoked_at__isnull=True), name="one_active_grant_per_pair"
            )
        ]
        indexes: ClassVar = [models.Index(fields=["clinician", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.patient_id} -> {self.clinician_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> "InvitationQuerySet":
        return self.filter(answered_at__isnull=True)


class Invitation(models.Model):
    """A clinician asks a patient (by email) to share; only the patient can accept."""

    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations_sent")
    email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    accepted = models.BooleanField(default=False)

    objects: ClassVar[InvitationQuerySet] = InvitationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["clinician", "email"], condition=Q(answered_at__isnull=True), name="one_pending_invitation"
            )
        ]

    def __str__(self) -> str:
        return f"invitation from {self.clinician_id}"


class ClinicianNote(models.Model):
    """A clinician's note about a patient: read by every clinician with access, edited only by its author."""

    # Indexed by (patient, created_at) below.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician_notes", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="notes_written"
    )
    author_name = models.CharField(max_length=120, blank=True)
    body = models.TextField(_("note"), max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [models.Index(fields=["patient", "-created_at"])]

    def __str__(self) -> str:
        return f"note {self.pk}"


class RelapseReview(models.Model):
    """A clinician's reading of a patient's relapse; the patient's entry itself is never changed."""

    class Verdict(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed relapse")
        PSEUDO = "pseudo", _("Pseudo-relapse")
        UNSURE = "unsure", _("Not sure yet")

    # Indexed by one_review_per_reviewer (relapse, reviewer) below.
    relapse = models.ForeignKey("tracker.Relapse", on_delete=models.CASCADE, related_name="reviews", db_index=False)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reviewer_name = models.CharField(max_length=120, blank=True)
    verdict = models.CharField(_("your reading"), max_length=16, choices=Verdict.choices, default=Verdict.UNSURE)
    note = models.TextField(_("annotation"), max_length=2000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-updated_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["relapse", "reviewer"], name="one_review_per_reviewer")
        ]

    def __str__(self) -> str:
        return f"review of relapse {self.relapse_id}"


class EDSSScore(models.Model):
    """An EDSS score a clinician gives after examining the patient, with the date of the examination.

    Only the Kurtzke steps are stored (`tracker.measures.EDSS_SCORES`); one score per patient and day.
    Read by the patient and every clinician with access; edited only by its author.
    """

    # Indexed by edss_one_per_day (patient, assessed_on) below.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="edss_scores", db_index=False
    )
    score = models.DecimalField(_("EDSS"), max_digits=3, decimal_places=1)
    assessed_on = models.DateField(_("date of the examination"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Who recorded it, kept when that account is deleted (as for notes and reviews).
    recorded_by_name = models.CharField(max_length=120, blank=True)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-assessed_on", "-id"]
        verbose_name = _("EDSS score")
        verbose_name_plural = _("EDSS scores")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["patient", "assessed_on"], name="edss_one_per_day"),
            models.CheckConstraint(condition=Q(score__in=EDSS_SCORES), name="edss_kurtzke_steps"),
        ]

    def __str__(self) -> str:
        return f"EDSS {self.score} on {self.assessed_on}"


class PatientFlags(models.Model):
    """A patient's row of the clinician dashboard, stored so the list is one indexed query.

    Computed by `clinic.dashboard.dashboard_rows` (the one definition of the flags and their
    numbers) for the day `computed_for`: the worker refreshes it after it rescored the patient's
    days, a periodic job when the day turns, and the dashboard itself for any row not computed
    for today. Derived data: rebuilt from the entries at any time, never edited.
    """

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="dashboard_flags"
    )
    computed_for = models.DateField()
    computed_at = models.DateTimeField()
    last_entry = models.DateField(null=True)
    mfis_total = models.PositiveSmallIntegerField(null=True)
    mfis_date = models.DateField(null=True)
    fatigue_recent = models.FloatField(null=True)
    fatigue_change = models.FloatField(null=True)
    score_recent = models.FloatField(null=True)
    score_change = models.FloatField(null=True)
    # The evidence behind the flags (clinic.dashboard.flag_evidence words it).
    fatigue_previous = models.FloatField(null=True)
    fatigue_recent_n = models.PositiveSmallIntegerField(default=0)
    fatigue_previous_n = models.PositiveSmallIntegerField(default=0)
    score_previous = models.FloatField(null=True)
    score_recent_n = models.PositiveSmallIntegerField(default=0)
    score_previous_n = models.PositiveSmallIntegerField(default=0)
    relapse_began = models.DateField(null=True)
    relapse_ended = models.DateField(null=True)
    relapse = models.BooleanField(default=False)
    fatigue = models.BooleanField(default=False)
    adherence = models.BooleanField(default=False)
    inactive = models.BooleanField(default=False)
    flag_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["computed_for"], name="patientflags_computed_for")]

    def __str__(self) -> str:
        return f"dashboard flags of patient {self.patient_id} for {self.computed_for}"
