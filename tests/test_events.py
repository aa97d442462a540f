from datetime import date
from unittest import mock

from django.db import transaction

from msgut.events import entries_changed


def test_a_failing_follow_up_never_fails_the_save(db, django_capture_on_commit_callbacks, caplog):
    with (
        mock.patch("guidance.tasks.schedule_rescore", side_effect=ConnectionError("broker down")),
        mock.patch("trends.tasks.schedule_rebuild") as rebuild,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        entries_changed(1, date(2026, 11, 20))
    rebuild.assert_called_once_with(1, date(2026, 11, 20))
    assert "broker down" in caplog.text
