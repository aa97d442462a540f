"""The clinic pages' most repeated rows, drawn in Python: the dashboard's 50 patients (two links, flags
and their evidence, dated and rounded columns each) and the review's days (each with its foods by meal).
Drawn by the template engine they were most of their page's time (about 0.3 ms a dashboard row, half a
millisecond a day); this is the same markup, escaped the same way (format_html), with addresses that
differ by a number reversed once per page, as tracker.fragments does for the day page."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import date_format, localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinic.dashboard import PatientRow, day_label
from clinic.selectors import DayRow
from tracker.templatetags.tracker_tags import portion

# A number no patient has, reversed in place of a primary key and then replaced by the real one.
_PK = 987654321
DASH = SafeString('<span class="muted">–</span>')


def patient_rows(rows: Iterable[PatientRow]) -> SafeString:
    """The `<tr>` of each row of the patient list."""
    review = reverse("clinic:patient", args=[_PK])
    report = reverse("clinic:report", args=[_PK])
    labels = {
        "patient": _("Patient"),
        "flags": _("Flags"),
        "last": _("Last entry"),
        "fatigue": _("Fatigue (14 days)"),
        "score": _("Day score (14 days)"),
        "mfis": _("Latest MFIS"),
        "report": _("Report"),
    }
    no_flags = format_html('<span class="badge">{}</span>', _("No flags"))
    return format_html_join(
        "\n",
        "{}",
        (
            (
                _row(
                    row,
                    review.replace(str(_PK), str(row.patient.pk)),
                    report.replace(str(_PK), str(row.patient.pk)),
                    labels,
                    no_flags,
                ),
            )
            for row in rows
        ),
    )


def _change(value: float | None, shown: Callable[[float], str]) -> SafeString | str:
    """A change beside a mean, "(+1.5)": signed when it rises."""
    if value is None:
        return ""
    return format_html(' <span class="muted">({}{})</span>', "+" if value > 0 else "", shown(value))


def _localized(value: float) -> str:
    return str(localize(value))


def _whole(value: float) -> str:
    return str(floatformat(value, 0))


def _row(row: PatientRow, review: str, report: str, labels: dict[str, str], no_flags: SafeString) -> SafeString:
    flags = (
        format_html_join(
            "\n",
            '<p class="clinic-flag"><span class="badge {}" title="{}">{}</span> <span class="clinic-evidence" data-flag="{}">{}</span></p>',
            (
                (
                    "badge-danger" if flag.key == "relapse" else "badge-warn",
                    flag.label,
                    flag.short,
                    flag.key,
                    flag.evidence,
                )
                for flag in row.flag_items
            ),
        )
        or no_flags
    )
    return format_html(
        '<tr><th scope="row" data-label="{l_patient}"><a href="{review}">{name}</a> '
        '<a class="clinic-report-link" href="{report}" aria-label="{report_label}">{l_report}</a></th>'
        '<td data-label="{l_flags}">{flags}</td>'
        '<td data-label="{l_last}">{last}</td>'
        '<td data-label="{l_fatigue}">{fatigue}</td>'
        '<td data-label="{l_score}">{score}</td>'
        '<td data-label="{l_mfis}">{mfis}</td></tr>',
        l_patient=labels["patient"],
        review=review,
        name=str(row.patient),
        report=report,
        report_label=_("Report for %(name)s") % {"name": row.patient},
        l_report=labels["report"],
        l_flags=labels["flags"],
        flags=flags,
        l_last=labels["last"],
        last=_last_entry(row.last_entry, row.days_since_entry),
        l_fatigue=labels["fatigue"],
        fatigue=format_html("{}/10{}", _localized(row.fatigue_recent), _change(row.fatigue_change, _localized))
        if row.fatigue_recent is not None
        else DASH,
        l_score=labels["score"],
        score=format_html(
            "{}/100{}",
            _whole(row.score_recent),
            _change(row.score_change, _whole),
        )
        if row.score_recent is not None
        else DASH,
        l_mfis=labels["mfis"],
        mfis=format_html('{}/84 <span class="muted">{}</span>', row.mfis_total, _date(row.mfis_date))
        if row.mfis_total is not None
        else DASH,
    )


def _date(value: date | None) -> str:
    return day_label(value) if value else ""


def _last_entry(last: date | None, days: int | None) -> SafeString:
    if last is None:
        return format_html('<span class="muted">{}</span>', _("never"))
    ago = _("today") if days == 0 else ngettext("%(days)s day ago", "%(days)s days ago", days or 0) % {"days": days}
    return format_html('{} <span class="muted">({})</span>', day_label(last), ago)


def day_rows(days: Iterable[DayRow]) -> SafeString:
    """The `<tr>` of each day of the review page's day table."""
    labels = {
        "date": _("Date"),
        "fatigue": _("Fatigue"),
        "sleep": _("Sleep"),
        "mood": _("Mood / stress"),
        "food": _("Food"),
        "score": _("Score"),
        "notes": _("Symptoms and notes"),
        "bristol": _("Bristol"),
    }
    return format_html_join("\n", "{}", ((_day_row(day, labels),) for day in days))


def _or_dash(value: object) -> object:
    return "–" if value is None else value


def _day_row(day: DayRow, labels: dict[str, str]) -> SafeString:
    sleep: SafeString | str = "–"
    if day.sleep_minutes is not None:
        quality = (
            format_html(' <span class="muted">({})</span>', _("quality %(q)s/5") % {"q": day.sleep_quality})
            if day.sleep_quality
            else ""
        )
        sleep = format_html("{}{}", day.sleep_hours, quality)
    food: SafeString | str = "–"
    if day.meal_items:
        count = ngettext("%(n)s item", "%(n)s items", day.meal_items) % {"n": day.meal_items}
        fiber = ", " + _("%(g)s g fiber") % {"g": localize(day.fiber_g)} if day.fiber_g is not None else ""
        food = format_html("{}{} {}", count, fiber, day_foods(day))
    chips = format_html_join(" ", '<span class="clinic-chip">{}: {}</span>', day.symptoms)
    stools = (
        format_html(' <span class="clinic-chip">{} {}</span>', labels["bristol"], ", ".join(map(str, day.stools)))
        if day.stools
        else ""
    )
    note = format_html(' <p class="clinic-quote">{}</p>', day.note) if day.note else ""
    return format_html(
        '<tr><th scope="row" data-label="{}">{}</th><td data-label="{}">{}</td><td data-label="{}">{}</td>'
        '<td data-label="{}">{} / {}</td><td data-label="{}">{}</td><td data-label="{}">{}</td>'
        '<td data-label="{}">{}{}{}</td></tr>',
        labels["date"],
        date_format(day.date, "D j M"),
        labels["fatigue"],
        _or_dash(day.fatigue),
        labels["sleep"],
        sleep,
        labels["mood"],
        _or_dash(day.mood),
        _or_dash(day.stress),
        labels["food"],
        food,
        labels["score"],
        _or_dash(day.score),
        labels["notes"],
        chips,
        stools,
        note,
    )


def day_foods(day: DayRow) -> SafeString:
    """A day's foods by meal, as the review page's day table lists them: "Breakfast: Oat flakes
    (1 bowl · 40 g), …"."""
    meals = (
        (
            meal,
            format_html_join(
                ", ", '{} <span class="muted">({})</span>', ((item.food.display_name, portion(item)) for item in items)
            ),
        )
        for meal, items in day.meals
    )
    return format_html(
        '<ul class="clinic-foods">{}</ul>', format_html_join("", "<li><strong>{}:</strong> {}</li>", meals)
    )
