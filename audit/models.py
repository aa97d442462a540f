"""The audit trail: who did what, when (UTC), about which patient.

Rows never hold health content: only the action, a short page or object
name, the actor and the patient. `patient_ref` keeps the patient's id after
the account is erased, so the erasure tombstone and earlier reads survive.
"""

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accounts.models import User


class Action(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOCKED_OUT = "locked_out", _("Sign-in paused after repeated failures")
    LOGOUT = "logout", _("Signed out")
    OTP_VERIFIED = "otp_verified", _("Two-factor code accepted")
    OTP_FAILED = "otp_failed", _("Two-factor code refused")
    OTP_ENROLLED = "otp_enrolled", _("Two-factor sign-in set up")
    OTP_REPLACED = "otp_replaced", _("Authenticator app replaced")
    OTP_TURNED_OFF = "otp_turned_off", _("Two-factor sign-in turned off")
    BACKUP_CODES_ISSUED = "backup_codes", _("New backup codes made")
    REAUTHENTICATED = "reauthenticated", _("Password confirmed again")
    SESSIONS_ENDED = "sessions_ended", _("Sessions ended")
    SET_PASSWORD_LINK = "set_password_link", _("Set-password link sent")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    ACCESS_DENIED = "access_denied", _("Access denied")
    PATIENT_READ = "patient_read", _("Viewed patient data")
    EXPORT = "export", _("Exported patient data")
    GRANT = "grant", _("Access granted")
    REVOKE = "revoke", _("Access revoked")
    NOTE_ADDED = "note_added", _("Clinician note added")
    EDSS_RECORDED = "edss_recorded", _("EDSS recorded")
    ERASE = "erase", _("Account and data erased")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_patient(self, patient: "User | int") -> "AuditEventQuerySet":
        """Events about one patient, including those recorded before an erasure."""
        patient_id = patient if isinstance(patient, int) else patient.pk
        return self.filter(Q(patient_ref=patient_id) | Q(patient_id=patient_id))

    def by_actor(self, actor: "User") -> "AuditEventQuerySet":
        return self.filter(actor=actor)

    def reads(self) -> "AuditEventQuerySet":
        """Reads and exports of a patient's data: what the patient's "who viewed my data" page lists."""
        return self.filter(action__in=[Action.PATIENT_READ, Action.EXPORT])


class AuditEvent(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events_by",
        db_index=False,  # audit_actor_recent (actor, created_at) serves lookups by actor
    )
    # Snapshot: still says who it was after the account is gone; for a failed
    # sign-in it is the email that was typed.
    actor_email = models.CharField(_("actor email"), max_length=254, blank=True)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("patient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events_about",
    )
    patient_ref = models.BigIntegerField(_("patient id"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    what = models.CharField(_("what"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("when (UTC)"), default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes: ClassVar = [
            models.Index(fields=["patient_ref", "-created_at"], name="audit_patient_recent"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_email or '-'} {self.action} {self.what}"
