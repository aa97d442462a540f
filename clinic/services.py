"""Every write of the clinic app: one function per change, with its audit event."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language

from accounts.models import Role, User
from audit.models import Action, AuditEvent
from audit.services import record
from clinic.dashboard import FLAG_KEYS, dashboard_rows, stored_fields
from clinic.models import (
    AccessGrant,
    ClinicianNote,
    ConsentWording,
    EDSSScore,
    Invitation,
    InviteCode,
    PatientFlags,
    RelapseReview,
    new_invite_code,
)
from clinic.selectors import patient_owned_querysets
from tracker.models import Relapse


def invite_code_for(*, clinician: User) -> InviteCode:
    """The clinician's current invite code, made on first use."""
    existing = InviteCode.objects.filter(clinician=clinician).first()
    if existing is not None:
        return existing
    return regenerate_invite_code(clinician=clinician)


def regenerate_invite_code(*, clinician: User) -> InviteCode:
    """A fresh code; the old one stops working at once. Existing grants stay."""
    for _attempt in range(10):
        try:
            with transaction.atomic():
                invite, _created = InviteCode.objects.update_or_create(
                    clinician=clinician, defaults={"code": new_invite_code(), "created_at": timezone.now()}
                )
                return invite
        except IntegrityError:  # a code collision: draw again
            continue
    raise RuntimeError("could not draw a unique invite code")


def grant_access(
    *,
    patient: User,
    clinician: User,
    wording: ConsentWording,
    via: str = AccessGrant.Via.CODE,
    request: HttpRequest | None = None,
) -> AccessGrant:
    """Record the patient's consent under `wording`. Granting twice keeps the one active grant."""
    if patient.role != Role.PATIENT or clinician.role != Role.CLINICIAN:
        raise ValueError("grants go from a patient to a clinician")
    with transaction.atomic():
        existing = AccessGrant.objects.active().filter(patient=patient, clinician=clinician).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                grant = AccessGrant.objects.create(
                    patient=patient,
                    clinician=clinician,
                    wording=wording,
                    wording_sha256=wording.digest(),
                    language=(get_language() or "en")[:8],
                    via=via,
                )
        except IntegrityError:  # a double submit won the race: the active grant exists
            return AccessGrant.objects.active().get(patient=patient, clinician=clinician)
        record(
            action=Action.GRANT,
            actor=patient,
            patient=patient,
            request=request,
            what=f"grant {grant.pk} v{wording.version}",
        )
    return grant


def revoke_access(*, grant: AccessGrant, request: HttpRequest | None = None) -> None:
    """Close the grant now: the clinician's next request answers 404."""
    if grant.revoked_at is not None:
        return
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    record(action=Action.REVOKE, actor=grant.patient, patient=grant.patient, request=request, what=f"grant {grant.pk}")


def invite_patient(*, clinician: User, email: str) -> Invitation:
    """Leave an invitation the patient with this email sees on their Sharing page."""
    email = email.strip().lower()
    invitation, _created = Invitation.objects.get_or_create(clinician=clinician, email=email, answered_at=None)
    return invitation


def answer_invitation(
    *,
    invitation: Invitation,
    patient: User,
    accept: bool,
    wording: ConsentWording | None = None,
    request: HttpRequest | None = None,
) -> AccessGrant | None:
    with transaction.atomic():
        invitation.answered_at = timezone.now()
        invitation.accepted = accept
        invitation.save(update_fields=["answered_at", "accepted"])
        if not accept:
            return None
        if wording is None:
            raise ValueError("Accepting an invitation records consent to a wording; none was given.")
        return grant_access(
            patient=patient,
            clinician=invitation.clinician,
            wording=wording,
            via=AccessGrant.Via.INVITATION,
            request=request,
        )


def add_note(*, patient: User, author: User, body: str, request: HttpRequest | None = None) -> ClinicianNote:
    note = ClinicianNote.objects.create(patient=patient, author=author, author_name=str(author), body=body)
    record(action=Action.NOTE_ADDED, actor=author, patient=patient, request=request, what=f"note {note.pk}")
    return note


def edit_note(*, note: ClinicianNote, body: str) -> ClinicianNote:
    note.body = body
    note.save(update_fields=["body", "updated_at"])
    return note


def review_relapse(*, relapse: Relapse, reviewer: User, verdict: str, note: str) -> RelapseReview:
    review, _created = RelapseReview.objects.update_or_create(
        relapse=relapse, reviewer=reviewer, defaults={"verdict": verdict, "note": note, "reviewer_name": str(reviewer)}
    )
    return review


class EDSSDateTaken(ValueError):
    """Another EDSS is recorded for this patient on that date."""

    def __init__(self, existing: EDSSScore) -> None:
        super().__init__(f"EDSS already recorded on {existing.assessed_on}")
        self.existing = existing


def record_edss(
    *,
    patient: User,
    clinician: User,
    assessed_on: date,
    score: Decimal,
    note: str = "",
    request: HttpRequest | None = None,
) -> EDSSScore:
    """A clinician's EDSS for the patient on the day of the examination, with its audit event.

    One per patient and day: a second one raises `EDSSDateTaken` (the form says whose it is).
    """
    if clinician.role != Role.CLINICIAN:
        raise ValueError("only clinicians record an EDSS")
    existing = EDSSScore.objects.filter(patient=patient, assessed_on=assessed_on).first()
    if existing is not None:
        raise EDSSDateTaken(existing)
    try:
        with transaction.atomic():
            edss = EDSSScore.objects.create(
                patient=patient,
                score=score,
                assessed_on=assessed_on,
                note=note,
                recorded_by=clinician,
                recorded_by_name=str(clinician),
            )
    except IntegrityError:  # a double submit or a colleague won the race
        raise EDSSDateTaken(EDSSScore.objects.get(patient=patient, assessed_on=assessed_on)) from None
    record(action=Action.EDSS_RECORDED, actor=clinician, patient=patient, request=request, what=f"edss {edss.pk}")
    return edss


def edit_edss(*, edss: EDSSScore, assessed_on: date, score: Decimal, note: str) -> EDSSScore:
    """The author corrects their score; moving it onto a date that has one raises `EDSSDateTaken`."""
    clash = EDSSScore.objects.filter(patient_id=edss.patient_id, assessed_on=assessed_on).exclude(pk=edss.pk).first()
    if clash is not None:
        raise EDSSDateTaken(clash)
    edss.assessed_on, edss.score, edss.note = assessed_on, score, note
    edss.save(update_fields=["assessed_on", "score", "note", "updated_at"])
    return edss


def delete_edss(*, edss: EDSSScore) -> None:
    edss.delete()


def erase_patient(*, patient: User) -> int:
    """Delete the patient's account, everything they logged and every trace of their email and name
    in other tables; leave a tombstone without health data.

    Returns the erased patient's id (the tombstone's `patient_ref`).
    """
    if patient.role != Role.PATIENT:
        raise ValueError("only patients erase their data here")
    patient_id = patient.pk
    with transaction.atomic():
        # Children before parents: meal items PROTECT the private foods they use.
        for _label, queryset in reversed(patient_owned_querysets(patient, include_clinician_content=True)):
            queryset.delete()
        # Their own events keep their rows (what happened, when) but no longer say who, nor from where.
        AuditEvent.objects.filter(actor=patient).update(actor_email="", ip=None)
        AuditEvent.objects.filter(actor_email__iexact=patient.email).update(actor_email="", ip=None)
        _forget_sign_in_attempts(patient.email)
        # Invitations name them by email; admin history names them by name or email.
        Invitation.objects.filter(email__iexact=patient.email).delete()
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(get_user_model()), object_id=str(patient_id)
        ).delete()
        # Sessions, authenticator and backup codes go with the account (foreign keys, cascade).
        get_user_model().objects.filter(pk=patient_id).delete()
        # The tombstone: no actor email, no name, no health data — only the id that was erased.
        AuditEvent.objects.create(action=Action.ERASE, patient=None, patient_ref=patient_id, what="account erased")
    return patient_id


def _forget_sign_in_attempts(email: str) -> None:
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__iexact=email).delete()


# ---------------------------------------------------------------- the dashboard's stored flags

FLAGS_BATCH = 500
FLAG_COLUMNS = [
    "computed_for",
    "computed_at",
    "last_entry",
    "mfis_total",
    "mfis_date",
    "fatigue_recent",
    "fatigue_change",
    "score_recent",
    "score_change",
    "fatigue_previous",
    "fatigue_recent_n",
    "fatigue_previous_n",
    "score_previous",
    "score_recent_n",
    "score_previous_n",
    "relapse_began",
    "relapse_ended",
    "flag_count",
    *FLAG_KEYS,
]


def refresh_flags(*, patient_ids: Iterable[int], today: date | None = None) -> int:
    """Compute and store the dashboard row of these patients for `today` (default: today).

    Idempotent (an upsert on the patient), in batches of FLAGS_BATCH patients; ids in order, so two
    refreshes running at once take their row locks in the same order. Returns the rows stored.
    """
    day = today or timezone.localdate()
    ids = sorted(set(patient_ids))
    stored = 0
    for start in range(0, len(ids), FLAGS_BATCH):
        batch = User.objects.filter(pk__in=ids[start : start + FLAGS_BATCH], role=Role.PATIENT)
        now = timezone.now()
        rows = [
            PatientFlags(patient_id=row.patient.pk, computed_for=day, computed_at=now, **stored_fields(row))
            for row in sorted(dashboard_rows(batch, day), key=lambda r: r.patient.pk)
        ]
        PatientFlags.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["patient"], update_fields=FLAG_COLUMNS
        )
        stored += len(rows)
    return stored
