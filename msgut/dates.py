"""The sane range of every date a person can type or put in a URL.

Nothing in msgut happened before 1900 (nobody logging today was alive earlier), and a date near
year 1 or 9999 overflows date arithmetic into a 500. Forms check their date fields with
`not_before_earliest` (and `not_future` in the tracker where the past is meant); dates in paths go
through `parse_path_date`, the one parser of the `<isodate:...>` converter.
"""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

EARLIEST_DATE = date(1900, 1, 1)
# Beyond a year from now no path date means anything; far enough from date.max to never overflow.
PATH_HORIZON = timedelta(days=366)


def not_before_earliest(value: date | None) -> None:
    if value is not None and value < EARLIEST_DATE:
        raise forms.ValidationError(
            _("Enter a date from %(earliest)s on.") % {"earliest": date_format(EARLIEST_DATE, "j F Y")}
        )


def not_after_today(value: date | None, today: date) -> None:
    if value is not None and value > today:
        raise forms.ValidationError(_("Enter today or an earlier date."))


def parse_path_date(value: str) -> date:
    """A YYYY-MM-DD from a URL; ValueError (the URL answers 404) for impossible or absurd dates."""
    parsed = date.fromisoformat(value)
    if not EARLIEST_DATE <= parsed <= timezone.now().date() + PATH_HORIZON:
        raise ValueError(f"date out of range: {value}")
    return parsed
