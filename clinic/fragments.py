"""The clinic pages' most repeated rows, drawn in Python: the dashboard's 50 patients (two links, flags
and their evidence, dated and rounded columns each) the review's days (each with its foods by meal), relapse timeline and MFIS history.
Drawn by the template engine they were most of their page's time (about 0.3 ms a dashboard row, half a
millisecond a day); this is the same markup, built with f-strings and each piece of text escaped once
by the standard library's html.escape (what Django's escape calls; format_html's per-argument checks
were half of the rows' time), with addresses that differ by a number reversed once per page."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from datetime import date

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import date_format, localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from clinic.dashboard import PatientRow, day_label
from clinic.forms import RelapseReviewForm
from clinic.selectors import DayRow, MFISRow, RelapseItem
from tracker.fragments import PK_STAND_IN
from tracker.models import in_french
from tracker.templatetags.tracker_tags import relapse_label_html

DASH = '<span class="muted">–</span>'


def patient_rows(rows: Iterable[PatientRow]) -> SafeString:
    """The `<tr>` of each row of the patient list."""
    # (addresses reversed once, for a stand-in id, as tracker.fragments does)
    review = reverse("clinic:patient", args=[PK_STAND_IN])
    report = reverse("clinic:report", args=[PK_STAND_IN])
    labels = _escaped(
        patient=_("Patient"),
        flags=_("Flags"),
        last=_("Last entry"),
        fatigue=_("Fatigue (14 days)"),
        score=_("Day score (14 days)"),
        mfis=_("Latest MFIS"),
        report=_("Report"),
    )
    labels["no_flags"] = f'<span class="badge">{_escape(_("No flags"))}</span>'
    pk = str(PK_STAND_IN)
    rows_html = (
        _row(row, review.replace(pk, str(row.patient.pk)), report.replace(pk, str(row.patient.pk)), labels)
        for row in rows
    )
    return mark_safe("\n".join(rows_html))  # noqa: S308 - every piece of text in it escaped by _row


def _escape(text: object) -> str:
    return html.escape(str(text))


def _escaped(**texts: str) -> dict[str, str]:
    """The words a fragment repeats on every row, each translated and escaped once."""
    return {key: _escape(text) for key, text in texts.items()}


def _change(value: float | None, shown: Callable[[float], str]) -> str:
    """A change beside a mean, "(+1.5)": signed when it rises (escaped HTML)."""
    if value is None:
        return ""
    return f' <span class="muted">({"+" if value > 0 else ""}{_escape(shown(value))})</span>'


def _localized(value: float) -> str:
    return str(localize(value))


def _whole(value: float) -> str:
    return str(floatformat(value, 0))


def _row(row: PatientRow, review: str, report: str, labels: dict[str, str]) -> str:
    """One patient's `<tr>`, as escaped HTML."""
    flags = "\n".join(
        f'<p class="clinic-flag"><span class="badge {"badge-danger" if flag.key == "relapse" else "badge-warn"}"'
        f' title="{_escape(flag.label)}">{_escape(flag.short)}</span> <span class="clinic-evidence"'
        f' data-flag="{_escape(flag.key)}">{_escape(flag.evidence)}</span></p>'
        for flag in row.flag_items
    )
    fatigue = (
        f"{_escape(_localized(row.fatigue_recent))}/10{_change(row.fatigue_change, _localized)}"
        if row.fatigue_recent is not None
        else DASH
    )
    score = (
        f"{_escape(_whole(row.score_recent))}/100{_change(row.score_change, _whole)}"
        if row.score_recent is not None
        else DASH
    )
    mfis = (
        f'{_escape(row.mfis_total)}/84 <span class="muted">{_escape(_date(row.mfis_date))}</span>'
        if row.mfis_total is not None
        else DASH
    )
    report_label = _escape(_("Report for %(name)s") % {"name": row.patient})
    return (
        f'<tr><th scope="row" data-label="{labels["patient"]}"><a href="{_escape(review)}">{_escape(row.patient)}</a> '
        f'<a class="clinic-report-link" href="{_escape(report)}" aria-label="{report_label}">{labels["report"]}</a></th>'
        f'<td data-label="{labels["flags"]}">{flags or labels["no_flags"]}</td>'
        f'<td data-label="{labels["last"]}">{_last_entry(row.last_entry, row.days_since_entry)}</td>'
        f'<td data-label="{labels["fatigue"]}">{fatigue}</td>'
        f'<td data-label="{labels["score"]}">{score}</td>'
        f'<td data-label="{labels["mfis"]}">{mfis}</td></tr>'
    )


def _date(value: date | None) -> str:
    return day_label(value) if value else ""


def _last_entry(last: date | None, days: int | None) -> str:
    """When the patient last logged, and how long ago (escaped HTML)."""
    if last is None:
        return f'<span class="muted">{_escape(_("never"))}</span>'
    ago = _("today") if days == 0 else ngettext("%(days)s day ago", "%(days)s days ago", days or 0) % {"days": days}
    return f'{_escape(day_label(last))} <span class="muted">({_escape(ago)})</span>'


def day_rows(days: Iterable[DayRow]) -> SafeString:
    """The `<tr>` of each day of the review page's day table (built as `patient_rows` is)."""
    labels = _escaped(
        date=_("Date"),
        fatigue=_("Fatigue"),
        sleep=_("Sleep"),
        mood=_("Mood / stress"),
        food=_("Food"),
        score=_("Score"),
        notes=_("Symptoms and notes"),
        bristol=_("Bristol"),
    )
    return mark_safe("\n".join(_day_row(day, labels) for day in days))  # noqa: S308 - escaped by _day_row


def _or_dash(value: object) -> str:
    return "–" if value is None else _escape(value)


def _day_row(day: DayRow, labels: dict[str, str]) -> str:
    """One day's `<tr>`, as escaped HTML."""
    sleep = "–"
    if day.sleep_minutes is not None:
        quality = (
            f' <span class="muted">({_escape(_("quality %(q)s/5") % {"q": day.sleep_quality})})</span>'
            if day.sleep_quality
            else ""
        )
        sleep = f"{_escape(day.sleep_hours)}{quality}"
    food = "–"
    if day.meal_items:
        count = ngettext("%(n)s item", "%(n)s items", day.meal_items) % {"n": day.meal_items}
        fiber = ", " + _("%(g)s g fiber") % {"g": localize(day.fiber_g)} if day.fiber_g is not None else ""
        food = f"{_escape(count)}{_escape(fiber)} {day_foods(day)}"
    chips = " ".join(
        f'<span class="clinic-chip">{_escape(name)}: {_escape(score)}</span>' for name, score in day.symptoms
    )
    stools = (
        f' <span class="clinic-chip">{labels["bristol"]} {_escape(", ".join(map(str, day.stools)))}</span>'
        if day.stools
        else ""
    )
    note = f' <p class="clinic-quote">{_escape(day.note)}</p>' if day.note else ""
    return (
        f'<tr><th scope="row" data-label="{labels["date"]}">{_escape(date_format(day.date, "D j M"))}</th>'
        f'<td data-label="{labels["fatigue"]}">{_or_dash(day.fatigue)}</td>'
        f'<td data-label="{labels["sleep"]}">{sleep}</td>'
        f'<td data-label="{labels["mood"]}">{_or_dash(day.mood)} / {_or_dash(day.stress)}</td>'
        f'<td data-label="{labels["food"]}">{food}</td>'
        f'<td data-label="{labels["score"]}">{_or_dash(day.score)}</td>'
        f'<td data-label="{labels["notes"]}">{chips}{stools}{note}</td></tr>'
    )


def day_foods(day: DayRow) -> str:
    """A day's foods by meal, as the review page's day table lists them, as escaped HTML: "Breakfast:
    Oat flakes (1 bowl · 40 g), …"."""
    language, french = get_language(), in_french()
    meals = "".join(
        f"<li><strong>{_escape(meal)}:</strong> "
        + ", ".join(
            f'{_escape(item.name(french))} <span class="muted">({_escape(item.portion(language))})</span>'
            for item in items
        )
        + "</li>"
        for meal, items in day.meals
    )
    return f'<ul class="clinic-foods">{meals}</ul>'


def mfis_rows(rows: Iterable[MFISRow]) -> SafeString:
    """The `<tr>` of each MFIS response of the review page's history, newest first (escaped HTML)."""
    return mark_safe("\n".join(_mfis_row(row) for row in rows))  # noqa: S308 - escaped by _mfis_row


def _score_or_dash(value: float | None) -> str:
    if value is None:
        return "–"
    return str(value) if isinstance(value, int) else _escape(localize(value))  # (a whole score reads the same)


def _mfis_row(row: MFISRow) -> str:
    answered = (
        ""
        if row.completed
        else f' <span class="muted">({_escape(_("%(n)s/21 answered") % {"n": row.answered})})</span>'
    )
    scores = (row.total, row.physical, row.cognitive, row.psychosocial, row.mfis5)
    cells = "".join(f"<td>{_score_or_dash(value)}</td>" for value in scores)
    return f"<tr><td>{_escape(date_format(row.date, 'j M Y'))}{answered}</td>{cells}</tr>"


def relapse_timeline(items: Iterable[RelapseItem], patient_pk: int, csrf_token: str | None) -> SafeString:
    """The `<li>` of each episode of the review page's relapse timeline, with its clinicians'
    readings and, given a CSRF token (a clinician's page), the viewer's form to confirm or annotate."""
    action = reverse("clinic:relapse-review", args=[patient_pk, PK_STAND_IN])
    verdicts = RelapseReviewForm.base_fields["verdict"].choices  # type: ignore[attr-defined]
    words = _escaped(
        ongoing=_("ongoing"),
        steroids=_("Treated with steroids"),
        no_steroids=_("No steroids"),
        recovery=_("Recovery:"),
        change=_("Change your reading"),
        confirm=_("Confirm or annotate"),
        yours=_("Your reading"),
        annotation=_("Annotation"),
        save=_("Save reading"),
    )
    lines = []
    for item in items:
        form = ""
        if csrf_token is not None:
            url = action.replace(str(PK_STAND_IN), str(item.relapse.pk))
            form = _review_form(item, url, csrf_token, verdicts, words)
        lines.append(_timeline_item(item, form, words))
    return mark_safe("\n".join(lines))  # noqa: S308 - escaped by _timeline_item and _review_form


def _timeline_item(item: RelapseItem, form: str, words: dict[str, str]) -> str:
    relapse = item.relapse
    ended = _escape(date_format(relapse.ended_on, "j M Y")) if relapse.ended_on else words["ongoing"]
    readings = "".join(
        f'\n  <p class="clinic-review"><strong>{_escape(review.get_verdict_display())}</strong> —'
        f" {_escape(review.reviewer_name)}, {_escape(date_format(localtime(review.updated_at), 'j M Y'))}"
        f"{': ' + _escape(review.note) if review.note else ''}</p>"
        for review in item.reviews
    )
    return (
        f'<li id="relapse-{relapse.pk}" class="clinic-timeline-item{"" if item.qualifying else " is-pseudo"}">\n'
        f"  <h3>{_escape(date_format(relapse.started_on, 'j M Y'))} – {ended}"
        f" · {_escape(relapse.get_severity_display())}</h3>\n"
        f"  {relapse_label_html(item.label)}\n"
        f'  <p class="clinic-quote">{_escape(relapse.symptoms)}</p>\n'
        f'  <p class="muted">{words["steroids"] if relapse.steroids else words["no_steroids"]}'
        f" · {words['recovery']} {_escape(relapse.get_recovery_display())}</p>{readings}{form}\n</li>"
    )


def _review_form(
    item: RelapseItem, url: str, csrf_token: str, verdicts: Iterable[tuple[str, str]], words: dict[str, str]
) -> str:
    mine = item.my_review
    radios = "".join(
        f'\n        <label class="clinic-radio"><input type="radio" name="verdict" value="{_escape(value)}"'
        f" required{' checked' if mine is not None and mine.verdict == value else ''}> {_escape(label)}</label>"
        for value, label in verdicts
    )
    note_id = f"review-note-{item.relapse.pk}"
    return (
        f"\n  <details>\n    <summary>{words['change'] if mine else words['confirm']}</summary>\n"
        f'    <form method="post" action="{_escape(url)}" class="stack">\n'
        f'      <input type="hidden" name="csrfmiddlewaretoken" value="{_escape(csrf_token)}">\n'
        f"      <fieldset>\n        <legend>{words['yours']}</legend>{radios}\n      </fieldset>\n"
        f'      <label for="{note_id}">{words["annotation"]}</label>\n'
        f'      <textarea id="{note_id}" name="note" rows="2" maxlength="2000">{_escape(mine.note if mine else "")}</textarea>\n'
        f'      <button type="submit">{words["save"]}</button>\n    </form>\n  </details>'
    )
