"""The beat and each delivery with real rows: DST, logged days, quiet days, once a day per channel.

The beat task runs every 5 minutes under time-machine, as Celery beat would run it; deliveries
run inline (eager) and email goes to Django's test outbox.
"""

import threading
from datetime import UTC, date, datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from kombu.exceptions import OperationalError as BrokerDown

from accounts.models import Profile
from reminders import services, tasks
from reminders.models import Channel, Kind, ReminderLog
from tests.conftest import need
from tests.factories import ClinicianFactory, PatientFactory
from tests.reminders.conftest import DST_EVENINGS, remind
from tests.tracker.factories import FatigueFactory, RelapseFactory, SleepFactory
from trends.models import WeeklySummary

BEAT = timedelta(minutes=5)
pytestmark = pytest.mark.django_db


def patient_in(zone: str, language: str = "en"):
    patient = PatientFactory()
    Profile.objects.filter(user=patient).update(time_zone=zone, language=language)
    patient.refresh_from_db()
    return patient


def run_beats(
    capture, start: datetime, end: datetime, setup=None, spans=None
) -> list[tuple[datetime, mail.EmailMessage]]:
    """Run the beat task every 5 minutes from `start` to `end`; (instant, email) for each email sent.

    `setup` runs once at `start` (the patient's settings are saved before their reminders fall due).
    `spans` ((start, end) pairs) limits the beats to those stretches, to keep a three-day run short.
    """
    sent = []
    with time_machine.travel(start, tick=False) as traveller:
        if setup:
            setup()
        for span_start, span_end in spans or [(start, end)]:
            traveller.move_to(span_start)
            while datetime.now(UTC) < span_end:
                before = len(mail.outbox)
                with capture(execute=True):
                    tasks.queue_due_reminders_task()
                sent += [(datetime.now(UTC), message) for message in mail.outbox[before:]]
                traveller.shift(BEAT)
    return sent


def local_midnight(day: str, zone: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(0, 0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def evenings(first: str, days: int, zone: str) -> list[tuple[datetime, datetime]]:
    """18:00 to midnight, local, on `days` days from `first`: an evening reminder's whole window."""
    midnights = [local_midnight(first, zone) + timedelta(days=n) for n in range(1, days + 1)]
    return [(midnight - timedelta(hours=6), midnight) for midnight in midnights]


@pytest.mark.parametrize(("zone", "days", "expected_utc"), DST_EVENINGS)
def test_the_beat_sends_one_email_a_day_at_the_same_local_time_across_each_2026_change(
    django_capture_on_commit_callbacks, zone, days, expected_utc
):
    """Beats every 5 minutes through the night of the change and each evening from 18:00 to
    midnight local (the reminder's hour before, its 3-hour catch-up window and after); the pure
    schedule tests beat through every minute of these days."""
    patient = patient_in(zone)
    first, last = days
    # Local midnights are computed in the zone, so the evenings follow the change, which happens in
    # the small hours of the second day.
    change_night = local_midnight(first, zone) + timedelta(days=1)
    spans = sorted([(change_night, change_night + timedelta(hours=5)), *evenings(first, 3, zone)])
    sent = run_beats(
        django_capture_on_commit_callbacks,
        local_midnight(first, zone),
        local_midnight(last, zone) + timedelta(days=1),
        setup=lambda: remind(patient, daily_email=True, at=time(20, 0)),
        spans=spans,
    )
    assert [at.strftime("%Y-%m-%d %H:%M") for at, _ in sent] == expected_utc
    assert all(at.astimezone(ZoneInfo(zone)).time() == time(20, 0) for at, _ in sent)
    assert {message.to[0] for _, message in sent} == {patient.email}
    assert ReminderLog.objects.filter(patient=patient, status=ReminderLog.Status.SENT).count() == 3


def test_a_time_the_spring_change_skips_is_sent_once_an_hour_later(django_capture_on_commit_callbacks):
    patient = patient_in("Europe/Paris")
    sent = run_beats(
        django_capture_on_commit_callbacks,
        datetime(2026, 3, 28, 22, tzinfo=UTC),
        datetime(2026, 3, 29, 8, tzinfo=UTC),
        setup=lambda: remind(patient, daily_email=True, at=time(2, 30)),
    )
    # 02:30 does not exist in Paris that night: it comes at 03:30 CEST (01:30 UTC), once.
    assert [at for at, _ in sent] == [datetime(2026, 3, 29, 1, 30, tzinfo=UTC)]


def test_a_time_the_autumn_change_repeats_is_sent_the_first_time_only(django_capture_on_commit_callbacks):
    patient = patient_in("America/New_York")
    sent = run_beats(
        django_capture_on_commit_callbacks,
        datetime(2026, 11, 1, 3, tzinfo=UTC),
        datetime(2026, 11, 1, 12, tzinfo=UTC),
        setup=lambda: remind(patient, daily_email=True, at=time(1, 30)),
    )
    # 01:30 happens twice in New York that night: 05:30 UTC (EDT) is sent, 06:30 UTC (EST) is not.
    assert [at for at, _ in sent] == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]


def test_no_reminder_on_a_day_that_has_any_entry(django_capture_on_commit_callbacks):
    patient = patient_in("Europe/Paris")
    FatigueFactory(patient=patient, date=date(2026, 3, 29), score=4)
    SleepFactory(patient=patient, date=date(2026, 3, 30))  # this morning's sleep diary logs the 30th
    sent = run_beats(
        django_capture_on_commit_callbacks,
        local_midnight("2026-03-28", "Europe/Paris"),
        local_midnight("2026-03-31", "Europe/Paris"),
        setup=lambda: remind(patient, daily_email=True, at=time(20, 0)),
        spans=evenings("2026-03-28", 3, "Europe/Paris"),
    )
    assert [at.astimezone(ZoneInfo("Europe/Paris")).date() for at, _ in sent] == [date(2026, 3, 28)]


def claim(now: datetime) -> list[services.Delivery]:
    """One beat at `now` whose deliveries are kept aside instead of enqueued."""
    handed: list[services.Delivery] = []
    with time_machine.travel(now, tick=False):
        services.queue_due_reminders(now=now, enqueue=handed.extend)
    return handed


def test_an_entry_made_after_the_claim_still_stops_the_email(django_capture_on_commit_callbacks):
    patient = patient_in("Europe/Paris")
    with time_machine.travel(datetime(2026, 3, 29, 12, tzinfo=UTC)):
        remind(patient, daily_email=True, at=time(20, 0))
    now = datetime(2026, 3, 29, 18, 1, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        handed = claim(now)
    (delivery,) = handed
    FatigueFactory(patient=patient, date=date(2026, 3, 29), score=3)  # logged while the task waited in the queue

    assert services.deliver_email(log_id=delivery.log_id, now=now) == ReminderLog.Status.SKIPPED
    assert mail.outbox == []
    assert ReminderLog.objects.get().reason == "day logged"


@pytest.mark.parametrize(("quiet", "emails"), [(True, 0), (False, 1)])
def test_a_relapse_in_the_log_keeps_the_reminder_quiet_when_the_patient_asked(
    django_capture_on_commit_callbacks, quiet, emails
):
    patient = patient_in("Europe/Paris")
    RelapseFactory(patient=patient, started_on=date(2026, 3, 25), ended_on=None)  # still going on
    sent = run_beats(
        django_capture_on_commit_callbacks,
        datetime(2026, 3, 29, 17, tzinfo=UTC),
        datetime(2026, 3, 29, 22, tzinfo=UTC),
        setup=lambda: remind(patient, daily_email=True, at=time(20, 0), quiet_during_relapse=quiet),
    )
    assert len(sent) == emails


def test_an_ended_relapse_no_longer_keeps_it_quiet(django_capture_on_commit_callbacks):
    patient = patient_in("Europe/Paris")
    RelapseFactory(patient=patient, started_on=date(2026, 3, 1), ended_on=date(2026, 3, 20))
    sent = run_beats(
        django_capture_on_commit_callbacks,
        datetime(2026, 3, 29, 17, tzinfo=UTC),
        datetime(2026, 3, 29, 22, tzinfo=UTC),
        setup=lambda: remind(patient, daily_email=True, at=time(20, 0)),
    )
    assert len(sent) == 1


def test_two_beats_at_the_same_moment_send_one_email(django_capture_on_commit_callbacks):
    patient = patient_in("Europe/Paris")
    with time_machine.travel(datetime(2026, 3, 29, 12, tzinfo=UTC)):
        remind(patient, daily_email=True, at=time(20, 0))
    with time_machine.travel(datetime(2026, 3, 29, 18, 2, tzinfo=UTC), tick=False):
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                tasks.queue_due_reminders_task()
        # A redelivered task (acks_late after a lost worker) finds the row sent and sends nothing.
        tasks.send_email_reminder_task.apply(args=(ReminderLog.objects.get().pk,))
    assert len(mail.outbox) == 1
    assert ReminderLog.objects.filter(patient=patient).count() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_beats_running_concurrently_claim_and_send_once():
    need(connection.vendor == "postgresql", "concurrent claims need PostgreSQL")
    patients = [patient_in("Europe/Paris") for _ in range(5)]
    with time_machine.travel(datetime(2026, 3, 29, 12, tzinfo=UTC)):
        for patient in patients:
            remind(patient, daily_email=True, at=time(20, 0))
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def beat():
        try:
            barrier.wait()
            tasks.queue_due_reminders_task()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    with time_machine.travel(datetime(2026, 3, 29, 18, 3, tzinfo=UTC), tick=False):
        threads = [threading.Thread(target=beat) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors, errors
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in patients)
    assert ReminderLog.objects.filter(status=ReminderLog.Status.SENT).count() == 5


def test_a_beat_back_within_three_hours_catches_up_and_after_that_drops_it(django_capture_on_commit_callbacks):
    late, later = patient_in("Europe/Paris"), patient_in("Europe/Paris")
    with time_machine.travel(datetime(2026, 3, 29, 12, tzinfo=UTC)):
        remind(late, daily_email=True, at=time(20, 0))
        remind(later, daily_email=True, at=time(18, 0))
    # The beat was down from 17:00 UTC; it comes back at 20:55 UTC (22:55 in Paris).
    sent = run_beats(
        django_capture_on_commit_callbacks,
        datetime(2026, 3, 29, 20, 55, tzinfo=UTC),
        datetime(2026, 3, 30, 6, tzinfo=UTC),
    )
    assert [message.to[0] for _, message in sent] == [late.email]  # 20:00 is 2h55 ago; 18:00 is 4h55 ago


def test_a_reminder_turned_on_after_its_time_starts_the_next_day(django_capture_on_commit_callbacks):
    patient = patient_in("Europe/Paris")
    sent = run_beats(
        django_capture_on_commit_callbacks,
        datetime(2026, 3, 29, 18, 30, tzinfo=UTC),  # 20:30 in Paris
        datetime(2026, 3, 30, 19, tzinfo=UTC),
        setup=lambda: remind(patient, daily_email=True, at=time(20, 0)),
    )
    assert [at for at, _ in sent] == [datetime(2026, 3, 30, 18, 0, tzinfo=UTC)]


def test_clinicians_inactive_patients_and_patients_who_turned_it_off_get_nothing(django_capture_on_commit_callbacks):
    clinician, inactive, off = ClinicianFactory(), patient_in("Europe/Paris"), patient_in("Europe/Paris")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])

    def setup():
        remind(clinician, daily_email=True, at=time(20, 0))
        remind(inactive, daily_email=True, at=time(20, 0))
        remind(off, daily_email=False, daily_push=False, weekly_email=False, at=time(20, 0))

    sent = run_beats(
        django_capture_on_commit_callbacks,
        datetime(2026, 3, 29, 17, tzinfo=UTC),
        datetime(2026, 3, 29, 22, tzinfo=UTC),
        setup=setup,
    )
    assert sent == []
    assert not ReminderLog.objects.exists()


def test_with_the_broker_down_the_reminder_waits_for_the_next_beat(django_capture_on_commit_callbacks):
    patient = patient_in("Europe/Paris")
    with time_machine.travel(datetime(2026, 3, 29, 12, tzinfo=UTC)):
        remind(patient, daily_email=True, at=time(20, 0))
    with time_machine.travel(datetime(2026, 3, 29, 18, 0, tzinfo=UTC), tick=False) as traveller:
        with (
            mock.patch.object(tasks.send_email_reminder_task, "apply_async", side_effect=BrokerDown("no broker")),
            django_capture_on_commit_callbacks(execute=True),
        ):
            tasks.queue_due_reminders_task()  # never raises
        log = ReminderLog.objects.get()
        assert (log.status, log.enqueued_at) == (ReminderLog.Status.QUEUED, None)
        assert mail.outbox == []
        traveller.shift(BEAT)
        with django_capture_on_commit_callbacks(execute=True):
            tasks.queue_due_reminders_task()
    assert len(mail.outbox) == 1
    assert ReminderLog.objects.get().status == ReminderLog.Status.SENT


def test_a_delivery_lost_in_the_queue_is_enqueued_again_after_fifteen_minutes(django_capture_on_commit_callbacks):
    patient = patient_in("Europe/Paris")
    with time_machine.travel(datetime(2026, 3, 29, 12, tzinfo=UTC)):
        remind(patient, daily_email=True, at=time(20, 0))
    handed: list[services.Delivery] = []
    for minutes in (0, 5, 10, 15, 20):
        now = datetime(2026, 3, 29, 18, minutes, tzinfo=UTC)
        with django_capture_on_commit_callbacks(execute=True):
            services.queue_due_reminders(now=now, enqueue=handed.extend)  # handed over, never run
    assert [d.log_id for d in handed] == [ReminderLog.objects.get().pk] * 2  # at 18:00, and again at 18:15


# ---------------------------------------------------------------- the weekly summary


def week_of_fatigue(patient, monday: date, score: int, days: int = 5) -> None:
    for offset in range(days):
        FatigueFactory(patient=patient, date=monday + timedelta(days=offset), score=score)


def test_the_weekly_summary_comes_on_monday_with_the_weeks_numbers_and_one_observation(
    django_capture_on_commit_callbacks,
):
    patient = patient_in("Europe/Paris")
    week_of_fatigue(patient, date(2026, 3, 16), score=7)
    week_of_fatigue(patient, date(2026, 3, 23), score=4)
    assert not WeeklySummary.objects.exists()
    sent = run_beats(
        django_capture_on_commit_callbacks,
        local_midnight("2026-03-29", "Europe/Paris"),  # Sunday
        local_midnight("2026-03-31", "Europe/Paris"),
        setup=lambda: remind(patient, weekly_email=True, at=time(19, 0)),
        spans=evenings("2026-03-29", 2, "Europe/Paris"),
    )
    assert [at for at, _ in sent] == [datetime(2026, 3, 30, 17, 0, tzinfo=UTC)]  # Monday 19:00 CEST
    message = sent[0][1]
    assert message.subject == "Your week in msgut"
    body = message.body
    assert "Your week from Monday 23 March to Sunday" in body
    assert "5 days of 7 logged." in body
    assert "Day score:" in body and "Fiber:" in body
    assert "Fatigue: 4.0 out of 10 (5 days). The week before: 7.0 (5 days)." in body
    assert "Fatigue went down from 7.0 to 4.0 out of 10" in body  # the observation, with its day counts
    assert "not what caused what" in body
    assert "/trends/" in body
    assert WeeklySummary.objects.filter(patient=patient, week_start=date(2026, 3, 23)).exists()
    assert ReminderLog.objects.get().local_date == date(2026, 3, 30)


def test_a_weekly_summary_with_too_few_days_says_what_it_needs(django_capture_on_commit_callbacks):
    patient = patient_in("Europe/Paris", language="fr")
    week_of_fatigue(patient, date(2026, 3, 23), score=4, days=2)
    run_beats(
        django_capture_on_commit_callbacks,
        datetime(2026, 3, 30, 16, 50, tzinfo=UTC),
        datetime(2026, 3, 30, 17, 10, tzinfo=UTC),
        setup=lambda: remind(patient, weekly_email=True, at=time(19, 0)),
    )
    (message,) = mail.outbox
    assert message.subject == "Votre semaine dans msgut"
    assert "2 jours sur 7 notés." in message.body
    assert "Notez au moins 3 jours par semaine" in message.body


def test_daily_and_weekly_by_email_are_two_reminders_with_their_own_rows(django_capture_on_commit_callbacks):
    patient = patient_in("Europe/Paris")
    sent = run_beats(
        django_capture_on_commit_callbacks,
        datetime(2026, 3, 30, 16, 50, tzinfo=UTC),
        datetime(2026, 3, 30, 17, 10, tzinfo=UTC),
        setup=lambda: remind(patient, daily_email=True, weekly_email=True, at=time(19, 0)),
    )
    assert sorted(m.subject for _, m in sent) == ["Time to log your day in msgut", "Your week in msgut"]
    assert set(ReminderLog.objects.values_list("kind", "channel")) == {
        (Kind.DAILY, Channel.EMAIL),
        (Kind.WEEKLY, Channel.EMAIL),
    }


def test_quiet_days_hold_back_the_weekly_summary_too(django_capture_on_commit_callbacks):
    patient = patient_in("Europe/Paris")
    RelapseFactory(patient=patient, started_on=date(2026, 3, 27), ended_on=None)
    sent = run_beats(
        django_capture_on_commit_callbacks,
        datetime(2026, 3, 30, 16, 50, tzinfo=UTC),
        datetime(2026, 3, 30, 17, 10, tzinfo=UTC),
        setup=lambda: remind(patient, weekly_email=True, at=time(19, 0)),
    )
    assert sent == []
