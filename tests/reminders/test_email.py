"""The reminder email: what its subject may say, its parts and headers, its language, and its failures."""

import re
import smtplib
from datetime import UTC, date, datetime, time
from typing import ClassVar

import pytest
import time_machine
from django.core import mail
from django.db import InterfaceError, OperationalError
from django.test import override_settings
from django.utils import translation

from msgut.celery import TransientDeliveryError
from reminders import channels, links, services, tasks
from reminders.messages import SUBJECTS
from reminders.models import Channel, Kind, ReminderLog
from tests.reminders.conftest import remind
from tests.reminders.test_services import patient_in

pytestmark = pytest.mark.django_db

# Words that would tell whoever sees a phone's lock screen or a shared inbox about someone's health.
HEALTH_WORDS = {
    "en": ["ms", "sclerosis", "fatigue", "tired", "relapse", "fiber", "fibre", "score", "sleep", "symptom", "stool",
           "bowel", "digestion", "gut", "pain", "mood", "medic", "health", "diet", "meal", "food", "weight"],
    "fr": ["sep", "sclérose", "fatigue", "poussée", "fibre", "score", "sommeil", "symptôme", "selles", "intestin",
           "digestion", "douleur", "humeur", "médic", "santé", "régime", "repas", "aliment", "poids"],
}  # fmt: skip


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_subject_line_is_neutral(language):
    with translation.override(language):
        subjects = [str(subject) for subject in SUBJECTS.values()]
    for subject in subjects:
        assert not any(ch.isdigit() for ch in subject), subject
        found = [
            w for w in words(subject) for h in HEALTH_WORDS[language] if w == h or (len(h) > 3 and w.startswith(h))
        ]
        assert found == [], subject
    if language == "fr":
        assert subjects == ["C'est le moment de noter votre journée dans msgut", "Votre semaine dans msgut"]


def claimed(patient, kind=Kind.DAILY, day=date(2026, 3, 29)) -> ReminderLog:
    return ReminderLog.objects.create(
        patient=patient, kind=kind, channel=Channel.EMAIL, local_date=day, due_at=datetime(2026, 3, 29, 18, tzinfo=UTC)
    )


NOW = datetime(2026, 3, 29, 18, 1, tzinfo=UTC)


@pytest.fixture
def set_up():
    """A Paris patient with a daily email reminder saved in the morning."""

    def make(language="en"):
        patient = patient_in("Europe/Paris", language=language)
        with time_machine.travel(datetime(2026, 3, 29, 8, tzinfo=UTC)):
            remind(patient, daily_email=True, weekly_email=True, at=time(20, 0))
        return patient

    return make


def test_the_daily_email_has_text_and_html_a_day_link_and_one_click_unsubscribe(set_up):
    patient = set_up()
    log = claimed(patient)
    assert services.deliver_email(log_id=log.pk, now=NOW) == ReminderLog.Status.SENT
    (message,) = mail.outbox
    assert message.subject == "Time to log your day in msgut"
    assert message.to == [patient.email]
    stop = links.stop_url(patient_id=patient.pk, kind=Kind.DAILY, channel=Channel.EMAIL)
    assert stop.startswith("http") and "/reminders/stop/" in stop
    assert message.extra_headers["List-Unsubscribe"] == f"<{stop}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "Nothing is logged yet for Sunday 29 March." in message.body
    assert "/day/2026-03-29/" in message.body
    assert stop in message.body
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert 'href="' + stop + '"' in html and "/day/2026-03-29/" in html
    # The headers as they go on the wire.
    raw = message.message().as_string()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    log.refresh_from_db()
    assert log.status == ReminderLog.Status.SENT and log.sent_at is not None


def test_a_french_patient_gets_it_in_french(set_up):
    patient = set_up(language="fr")
    services.deliver_email(log_id=claimed(patient).pk, now=NOW)
    (message,) = mail.outbox
    assert message.subject == "C'est le moment de noter votre journée dans msgut"
    assert "Rien n'est encore noté pour le dimanche 29 mars." in message.body
    assert "Arrêter ces e-mails" in message.body


def test_a_sent_reminder_is_never_sent_again(set_up):
    log = claimed(set_up())
    services.deliver_email(log_id=log.pk, now=NOW)
    assert services.deliver_email(log_id=log.pk, now=NOW) == ReminderLog.Status.SENT
    assert len(mail.outbox) == 1


def test_a_reminder_turned_off_since_the_claim_is_skipped(set_up):
    patient = set_up()
    log = claimed(patient)
    services.stop(patient_id=patient.pk, kind=Kind.DAILY, channel=Channel.EMAIL)
    assert services.deliver_email(log_id=log.pk, now=NOW) == ReminderLog.Status.SKIPPED
    assert mail.outbox == []


def test_with_email_switched_off_on_the_server_nothing_is_claimed_or_sent(set_up, django_capture_on_commit_callbacks):
    patient = set_up()
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.queue_due_reminders(now=NOW, enqueue=tasks.enqueue_deliveries)
        assert services.deliver_email(log_id=claimed(patient).pk, now=NOW) == ReminderLog.Status.SKIPPED
    assert ReminderLog.objects.get().reason == "channel off"


class FlakyBackend:
    """A mail server that fails for some addresses: `failures` maps an address to the error it raises."""

    failures: ClassVar[dict[str, Exception]] = {}

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        for message in messages:
            error = self.failures.get(message.to[0])
            if error is not None:
                raise error
            mail.outbox.append(message)
        return len(messages)


FLAKY = "tests.reminders.test_email.FlakyBackend"


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPServerDisconnected("gone"),
        smtplib.SMTPConnectError(421, b"busy"),
        smtplib.SMTPSenderRefused(451, b"try later", "noreply@msgut.local"),
        smtplib.SMTPRecipientsRefused({"x@example.org": (450, b"mailbox busy")}),
        TimeoutError("timed out"),
        ConnectionRefusedError("refused"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_mail_server_that_is_down_or_busy_is_retried(set_up, error):
    patient = set_up()
    log = claimed(patient)
    FlakyBackend.failures = {patient.email: error}
    with override_settings(EMAIL_BACKEND=FLAKY), pytest.raises(TransientDeliveryError):
        services.deliver_email(log_id=log.pk, now=NOW)
    log.refresh_from_db()
    assert log.status == ReminderLog.Status.QUEUED  # left for the retry


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such user")}),
        smtplib.SMTPDataError(554, b"rejected"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_refusal_for_good_marks_it_failed_without_retrying(set_up, error):
    patient = set_up()
    log = claimed(patient)
    FlakyBackend.failures = {patient.email: error}
    with override_settings(EMAIL_BACKEND=FLAKY):
        assert services.deliver_email(log_id=log.pk, now=NOW) == ReminderLog.Status.FAILED
    log.refresh_from_db()
    assert (log.status, log.reason) == (ReminderLog.Status.FAILED, type(error).__name__)


def test_one_patients_failing_mail_server_never_stops_the_others(set_up, django_capture_on_commit_callbacks):
    first, second, third = set_up(), set_up(), set_up()
    FlakyBackend.failures = {
        first.email: smtplib.SMTPServerDisconnected("gone"),
        second.email: smtplib.SMTPRecipientsRefused({second.email: (550, b"no such user")}),
    }
    with (
        override_settings(EMAIL_BACKEND=FLAKY),
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.queue_due_reminders_task()  # never raises, whatever one delivery does
    assert [m.to[0] for m in mail.outbox] == [third.email]
    statuses = dict(ReminderLog.objects.values_list("patient_id", "status"))
    assert statuses == {
        first.pk: ReminderLog.Status.QUEUED,  # waiting for its retry
        second.pk: ReminderLog.Status.FAILED,  # refused for good
        third.pk: ReminderLog.Status.SENT,
    }


def test_after_the_last_retry_the_reminder_is_marked_failed(set_up):
    patient = set_up()
    log = claimed(patient)
    FlakyBackend.failures = {patient.email: smtplib.SMTPServerDisconnected("gone")}
    with override_settings(EMAIL_BACKEND=FLAKY), time_machine.travel(NOW, tick=False):
        result = tasks.send_email_reminder_task.apply(
            args=(log.pk,), retries=tasks.send_email_reminder_task.max_retries, throw=False
        )
    assert result.failed()
    log.refresh_from_db()
    assert (log.status, log.reason) == (ReminderLog.Status.FAILED, "SMTPServerDisconnected")


def test_the_delivery_tasks_retry_with_backoff_on_delivery_and_database_errors_only():
    for task in (tasks.send_email_reminder_task, tasks.send_push_reminder_task):
        assert set(task.autoretry_for) == {TransientDeliveryError, OperationalError, InterfaceError}
        assert task.retry_backoff == 30 and task.retry_backoff_max == 1800 and task.retry_jitter
        assert task.max_retries == 5


def test_email_disabled_on_the_server_makes_the_email_channel_unavailable(settings):
    """EMAIL_DISABLED=1 (start-up's documented opt-out from real email) discards every email."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert channels.email_available()
    settings.EMAIL_DISABLED = True
    assert not channels.email_available()
