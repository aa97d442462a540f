"""Clinic pages. Every read of a patient's data finds the patient through clinic.access."""

import math
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import twofactor
from accounts.decorators import clinician_required, patient_required
from accounts.models import Role, User
from audit.models import Action, AuditEvent
from audit.services import record
from clinic import charts as charts_module
from clinic import dashboard as dash
from clinic import exports, selectors
from clinic.access import clinician_patient_or_404, deny, patient_or_404, visible_to
from clinic.forms import (
    DEFAULT_RANGE_DAYS,
    MAX_RANGE_DAYS,
    ConsentForm,
    DashboardForm,
    DateRangeForm,
    EDSSForm,
    EraseForm,
    InvitationConsentForm,
    InviteCodeForm,
    InviteForm,
    NoteForm,
    RelapseReviewForm,
    blank_edss_fields,
)
from clinic.models import AccessGrant, ClinicianNote, ConsentWording, EDSSScore
from clinic.services import (
    EDSSDateTaken,
    add_note,
    answer_invitation,
    delete_edss,
    edit_edss,
    edit_note,
    erase_patient,
    grant_access,
    invite_code_for,
    invite_patient,
    record_edss,
    refresh_flags,
    regenerate_invite_code,
    review_relapse,
    revoke_access,
)
from msgut.http import AuthenticatedHttpRequest, ClinicianHttpRequest, PatientHttpRequest
from msgut.kept_pages import HOLE, kept_frame, kept_page, kept_page_reading, page_key
from tracker.models import Relapse
from tracker.selectors import today_of
from trends import presenters as trends_presenters
from trends import selectors as trends_selectors


def _download(body: str | bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Patient: sharing ------------------------------------------------------------------------------


@require_GET
@patient_required
def sharing(request: PatientHttpRequest) -> HttpResponse:
    patient = request.user
    grants = AccessGrant.objects.active().filter(patient=patient).select_related("clinician", "wording")
    past = AccessGrant.objects.filter(patient=patient, revoked_at__isnull=False).select_related("clinician")[:20]
    views = [
        {"event": event, "page": selectors.page_label(event.what)}
        for event in AuditEvent.objects.for_patient(patient)
        .reads()
        .exclude(actor=patient)
        .select_related("actor")[:100]
    ]
    return render(
        request,
        "clinic/sharing.html",
        {
            "grants": grants,
            "past_grants": past,
            "invitations": selectors.pending_invitations_for(patient),
            "code_form": InviteCodeForm(),
            "views": views,
            "two_factor_on": twofactor.has_authenticator(patient),
        },
    )


def _preview_context(patient: User) -> dict[str, Any]:
    """Exactly what a clinician is shown: the same lists the review page shows, for the last 12 weeks."""
    start, end = DateRangeForm({}).range()
    rows = selectors.day_rows(patient, start, end, foods=False)  # the summary only: no food is listed
    return {
        "start": start,
        "end": end,
        "summary": selectors.summarise(rows),
        "sections": [
            _("your profile: name, email, MS course and year of diagnosis"),
            _(
                "every day you log: meals and fiber, sleep, fatigue, mood, stress, digestion, your own symptoms, lifestyle and your notes"
            ),
            _("your relapses and your MFIS questionnaires"),
            _("your day scores and weekly charts"),
            _("exports of all of this (CSV, JSON, FHIR and a printable report)"),
        ],
    }


@require_POST
@patient_required
def grant(request: PatientHttpRequest) -> HttpResponse:
    """Step 1 (code only): show who and what before consent. Step 2 (agree ticked): record the grant."""
    patient = request.user
    wording = ConsentWording.current()
    if "agree" not in request.POST and "wording_version" not in request.POST:
        code_form = InviteCodeForm(request.POST)
        if not code_form.is_valid():
            return render(request, "clinic/grant_code.html", {"code_form": code_form}, status=200)
        form = ConsentForm(initial={"code": code_form.cleaned_data["code"], "wording_version": wording.version})
        clinician = code_form.clinician
    else:
        form = ConsentForm(request.POST)
        # A valid form has found its clinician; the last test only narrows the type.
        if form.is_valid() and form.cleaned_data["wording_version"] == wording.version and form.clinician is not None:
            grant_access(patient=patient, clinician=form.clinician, wording=wording, request=request)
            messages.success(
                request, _("%(name)s can now read your data. You can stop this at any time.") % {"name": form.clinician}
            )
            return redirect("clinic:sharing")
        clinician = getattr(form, "clinician", None)
        if clinician is None:
            return render(request, "clinic/grant_code.html", {"code_form": InviteCodeForm(request.POST)})
    context = {"form": form, "clinician": clinician, "wording": wording, **_preview_context(patient)}
    return render(request, "clinic/grant_confirm.html", context)


@require_http_methods(["GET", "POST"])
@patient_required
def invitation(request: PatientHttpRequest, invitation_id: int) -> HttpResponse:
    patient = request.user
    found = next((i for i in selectors.pending_invitations_for(patient) if i.pk == invitation_id), None)
    if found is None:
        raise Http404
    wording = ConsentWording.current()
    if request.method == "POST" and request.POST.get("decline"):
        answer_invitation(invitation=found, patient=patient, accept=False)
        messages.success(request, _("Invitation declined."))
        return redirect("clinic:sharing")
    form = InvitationConsentForm(request.POST or None, initial={"wording_version": wording.version})
    if request.method == "POST" and form.is_valid() and form.cleaned_data["wording_version"] == wording.version:
        answer_invitation(invitation=found, patient=patient, accept=True, wording=wording, request=request)
        messages.success(
            request, _("%(name)s can now read your data. You can stop this at any time.") % {"name": found.clinician}
        )
        return redirect("clinic:sharing")
    context = {
        "form": form,
        "clinician": found.clinician,
        "wording": wording,
        "invitation": found,
        **_preview_context(patient),
    }
    return render(request, "clinic/grant_confirm.html", context)


@require_POST
@patient_required
def revoke(request: PatientHttpRequest, grant_id: int) -> HttpResponse:
    grant_row = get_object_or_404(AccessGrant.objects.active(), pk=grant_id, patient=request.user)
    revoke_access(grant=grant_row, request=request)
    messages.success(request, _("%(name)s can no longer read your data.") % {"name": grant_row.clinician})
    return redirect("clinic:sharing")


# Patient: my data -------------------------------------------------------------------------------


@require_GET
@patient_required
def my_data(request: PatientHttpRequest) -> HttpResponse:
    patient = request.user
    return render(request, "clinic/my_data.html", {"patient": patient, "range_form": DateRangeForm.for_request({})[0]})


@require_http_methods(["GET", "POST"])
@patient_required
def erase(request: PatientHttpRequest) -> HttpResponse:
    patient = request.user
    form = EraseForm(request.POST or None, request=request, user=patient)
    if request.method == "POST" and form.is_valid():
        # Sign out first: the sign-out event is then scrubbed with the rest of the patient's traces.
        logout(request)
        erase_patient(patient=patient)
        return render(request, "clinic/erased.html")
    return render(request, "clinic/erase.html", {"form": form})


# Clinician --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@clinician_required
def dashboard(request: ClinicianHttpRequest) -> HttpResponse:
    """The patient list. Its filter posts (a read, no state changes): a searched name is never in a URL."""
    clinician = request.user
    if request.method == "POST":
        form = DashboardForm(request.POST)
    else:
        # Flag and sort may come in a link; a name never does (an old bookmark is not a search).
        form = DashboardForm({k: v for k, v in request.GET.items() if k != "q"} or None)
    query, flag, sort = "", "", "attention"
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        flag = form.cleaned_data["flag"]
        sort = form.cleaned_data["sort"] or "attention"
    patients = visible_to(clinician)
    today = timezone.localdate()
    # The worker keeps the stored flags current; the first visit of a day (before the periodic
    # refresh) or a patient who just started sharing gets theirs computed here.
    total, stale = dash.count_and_stale(patients, today)
    if stale:
        refresh_flags(patient_ids=stale, today=today)
    if query:
        patients = patients.filter(Q(display_name__icontains=query) | Q(email__icontains=query))
    number = request.POST.get("page") if request.method == "POST" else request.GET.get("page")
    page = dash.dashboard_page(patients, flag=flag, sort=sort, number=number, count=None if query else total)
    invite = invite_code_for(clinician=clinician)
    partial = bool(request.htmx and request.htmx.target == "patient-list")
    template = "clinic/dashboard.html#patient-list" if partial else "clinic/dashboard.html"
    # Kept while what it shows is the same (msgut.kept_pages): the page's rows as read, the count,
    # the filter as typed (a POST's is not in the address) and the invite code.
    asked = sorted(form.data.items()) if form.is_bound else None
    shown = (total, page.paginator.count, page.number, asked, invite.code)
    key = page_key(request, template, (repr(page.object_list), repr(shown)))

    def draw(marks: dict[str, Any]) -> str:
        context = {
            "rows": dash.rows_from(page.object_list, today),
            "page": page,
            "page_range": list(page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)),
            "ellipsis": page.paginator.ELLIPSIS,
            # Page links carry the filter and the sort; a searched name never goes into a link.
            "page_link_prefix": "?"
            + urlencode([*((k, v) for k, v in (("flag", flag), ("sort", sort)) if v), ("page", "")]),
            "total": total,
            "form": form,
            "sort": sort,
            "flag": flag,
            "query": query,
            "invite": invite,
            "invite_form": InviteForm(),
            "flag_labels": dash.FLAG_LABELS,
            **marks,
        }
        if partial:
            return render_to_string(template, context, request=request)
        # The rest of the page is kept apart from the list: it stays the same while the rows change.
        frame = kept_frame(
            request,
            template,
            (repr((total, asked, invite.code)),),
            lambda hole: render_to_string(template, {**context, "patient_list": hole}, request=request),
        )
        return frame.replace(HOLE, render_to_string(f"{template}#patient-list", context, request=request))

    return HttpResponse(kept_page(request, key, draw))


@require_POST
@clinician_required
def regenerate_code(request: ClinicianHttpRequest) -> HttpResponse:
    regenerate_invite_code(clinician=request.user)
    messages.success(request, _("Your new invite code is ready. The old one no longer works; existing access stays."))
    return redirect("clinic:dashboard")


@require_POST
@clinician_required
def invite(request: ClinicianHttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        invite_patient(clinician=request.user, email=form.cleaned_data["email"])
        # Same answer whether or not the address has an account: no way to probe who uses msgut.
        messages.success(
            request, _("Invitation saved. If this person uses msgut, they will see it on their Sharing page.")
        )
    else:
        messages.error(request, _("Enter a valid email address."))
    return redirect("clinic:dashboard")


# Patient data pages (clinician with a grant, or the patient themself) -----------------------------


@require_GET
def patient_review(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The review page; `?page=N` shows the Nth 14 logged days of the range in its day table, and
    htmx's "Show 14 earlier days" gets only those rows (with the next control) to append in place."""
    patient = patient_or_404(request, patient_id, what="clinic:patient")
    if request.htmx and request.htmx.target == "days-table":
        return _render_days_page(request, patient)
    return _render_review(request, patient)


def _days_context(
    request: AuthenticatedHttpRequest, patient: User, asked: tuple[DateRangeForm, date, date] | None = None
) -> dict[str, Any]:
    """The range (`asked`: as the request's form gave it already), its logged days without their
    foods (for the summary and paging) and the page shown."""
    range_form, start, end = asked or DateRangeForm.for_request(request.GET)
    rows = selectors.day_rows(patient, start, end, foods=False)
    range_query = urlencode({"start": start.isoformat(), "end": end.isoformat()})
    return {
        "range_form": range_form,
        "start": start,
        "end": end,
        "rows": rows,
        "days_page": selectors.days_page(patient, rows, request.GET.get("page")),
        "days_link_prefix": f"{reverse('clinic:patient', args=[patient.pk])}?{range_query}&page=",
    }


def _render_days_page(request: AuthenticatedHttpRequest, patient: User) -> HttpResponse:
    """A page of days for htmx: its rows, to append to the table, and the control and count below it."""
    context = _days_context(request, patient)
    return render(request, "clinic/day_table.html#days-table", {**context, "appended": True})


def _render_review(
    request: AuthenticatedHttpRequest,
    patient: User,
    note_form: NoteForm | None = None,
    status: int = 200,
    edss_form: EDSSForm | None = None,
) -> HttpResponse:
    viewer = request.user
    asked = DateRangeForm.for_request(request.GET)
    _form, start, end = asked
    is_clinician = viewer.role == Role.CLINICIAN
    read = selectors.review_read(patient, start, end, viewer if is_clinician else None)
    lookup = trends_selectors.chart_lookup(patient.pk, start, end)

    def read_rest() -> dict[str, Any]:
        """What the page shows beside `read`: its days, the flags' row, the charts (each may read)."""
        days = _days_context(request, patient, asked)
        return {
            **days,
            "summary": selectors.summarise(days["rows"]),
            "flags": dash.patient_row_from(patient, read.flags, timezone.localdate()).flag_items,
            "trend_charts": trends_presenters.charts_context(request, patient, start, end, lookup=lookup),
        }

    def draw(rest: dict[str, Any], marks: dict[str, Any]) -> str:
        context = {
            **rest,
            "medications": read.medications,
            "edss": read.edss,
            "edss_form": edss_form,
            # (an empty form's fields are the same for every patient on the day: drawn once per language)
            "edss_fields": (edss_form.as_div() if edss_form else blank_edss_fields(get_language(), read.today))
            if is_clinician
            else "",
            "patient": patient,
            "is_clinician": is_clinician,
            "relapses": read.relapses,
            "relapse_count": selectors.qualifying_count(read.relapses),
            "mfis": read.mfis,
            "notes": read.notes if is_clinician else [],
            "note_form": note_form or NoteForm(),
            **marks,
        }
        return render_to_string("clinic/patient.html", context, request=request)

    if read.key is None or lookup is None or note_form is not None or edss_form is not None:
        # (SQLite has no digests to key it by; a refused form is drawn with what was typed)
        return HttpResponse(draw(read_rest(), {}), status=status)
    # Kept while what it is drawn from is the same (msgut.kept_pages): the rows the one read sent,
    # the digests of the range's days and foods, the charts' lookup, and the patient's today.
    key = page_key(request, "clinic/patient.html", (*read.key, repr(lookup), read.today.isoformat()))
    return HttpResponse(kept_page_reading(request, key, read_rest, draw), status=status)


EXPORT_FORMATS = {
    "csv": ("application/zip", "zip"),
    "json": ("application/json; charset=utf-8", "json"),
    "fhir": ("application/fhir+json; charset=utf-8", "fhir.json"),
}


@require_GET
def patient_export(request: AuthenticatedHttpRequest, patient_id: int, fmt: str) -> HttpResponse:
    """The patient's own copy holds everything about them; a clinician's, the patient's data only."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    patient = patient_or_404(request, patient_id, what=f"clinic:export {fmt}", audit_read=False)
    viewer = request.user
    own = viewer.pk == patient.pk
    if viewer.role == Role.CLINICIAN:
        record(action=Action.EXPORT, request=request, patient=patient, what=f"clinic:export {fmt}")
    body: str | bytes
    if fmt == "csv":
        body = exports.export_zip(patient, own=own, prepared_for="" if own else str(viewer))
    elif fmt == "json":
        body = exports.export_json(patient, own=own)
    else:
        body = exports.export_fhir(patient)
    content_type, extension = EXPORT_FORMATS[fmt]
    filename = f"msgut-{patient.pk}-{today_of(patient):%Y-%m-%d}.{extension}"
    return _download(body, content_type, filename)


REPORT_PRESETS = (
    (28, _lazy("Last 4 weeks")),
    (84, _lazy("Last 12 weeks")),
    (182, _lazy("Last 6 months")),
    (365, _lazy("Last 12 months")),
)
REPORT_RELAPSES = 8  # the latest episodes a report lists; the patient page has them all


def _number(value: float, decimals: int) -> str:
    return formats.number_format(round(value, decimals), decimals)


def _trend(values: list[float | None], overall: float | None, weekly: bool, decimals: int, unit: str) -> str:
    """A series in words: the mean over the days logged, and its first few points against the last few."""
    present = [v for v in values if v is not None]
    if not present or overall is None:
        return _("Nothing logged in this period.")
    mean = _number(overall, decimals)
    if len(present) < 4:  # noqa: PLR2004 - two points against two is the least worth saying
        return _("Mean %(mean)s %(unit)s.") % {"mean": mean, "unit": unit}
    n = min(4, len(present) // 2)
    first = _number(sum(present[:n]) / n, decimals)
    last = _number(sum(present[-n:]) / n, decimals)
    words = {"mean": mean, "unit": unit, "first": first, "last": last, "n": n}
    if weekly:
        return (
            ngettext(
                "Mean %(mean)s %(unit)s; first week %(first)s, last week %(last)s.",
                "Mean %(mean)s %(unit)s; first %(n)s weeks %(first)s, last %(n)s weeks %(last)s.",
                n,
            )
            % words
        )
    return (
        ngettext(
            "Mean %(mean)s %(unit)s; first day %(first)s, last day %(last)s.",
            "Mean %(mean)s %(unit)s; first %(n)s days %(first)s, last %(n)s days %(last)s.",
            n,
        )
        % words
    )


def _report_charts(
    data: selectors.ReportData, start: date, end: date, bands: list[tuple[date, date]]
) -> list[dict[str, Any]]:
    """The report's five charts, each with its trend in words (the chart's description and caption)."""
    # key, title, unit, decimals, the bucket's attribute, a fixed scale (else from the values, capped)
    specs: list[tuple[str, str, str, int, str, tuple[float, float] | None, float | None]] = [
        ("score", _("Day score"), _("points"), 0, "score", (0.0, 100.0), None),
        ("fiber", _("Fiber"), _("g a day"), 1, "fiber", None, None),
        ("processed", _("Processed food"), _("servings a day"), 1, "processed", None, None),
        ("fatigue", _("Fatigue"), _("out of 10"), 1, "fatigue", (0.0, 10.0), None),
        ("sleep", _("Sleep"), _("hours a night"), 1, "sleep_hours", None, 14.0),
    ]
    sleep = data.summary.sleep_mean_minutes
    overall = {
        "score": data.summary.score_mean,
        "fiber": data.summary.fiber_mean,
        "processed": data.processed_mean,
        "fatigue": data.summary.fatigue_mean,
        "sleep": sleep / 60 if sleep is not None else None,
    }
    charts = []
    for key, title, unit, decimals, attribute, fixed, ceiling in specs:
        values: list[float | None] = [getattr(b, attribute) for b in data.buckets]
        present = [v for v in values if v is not None]
        if fixed is not None:
            y_min, y_max = fixed
        else:
            # Sleep varies around 7 hours: its axis starts just under the shortest night, the others at 0.
            low = float(max(0, math.floor(min(present, default=1)) - 1)) if key == "sleep" else 0.0
            y_min, y_max = charts_module.axis_range(present, low, ceiling)
        summary = _trend(values, overall[key], data.weekly, decimals, unit)
        chart = charts_module.Chart(
            key=key,
            title=f"{title} ({unit})",
            summary=summary,
            points=[(b.middle, v) for b, v in zip(data.buckets, values, strict=True)],
            start=start,
            end=end,
            y_min=y_min,
            y_max=y_max,
            bands=bands,
        )
        charts.append(
            {
                "key": key,
                "title": title,
                "unit": unit,
                "summary": summary,
                "svg": charts_module.line_chart(chart),
                "swatch": charts_module.legend_swatch(key),
            }
        )
    return charts


def _report_period(request: AuthenticatedHttpRequest, patient: User) -> tuple[DateRangeForm, date, date, date | None]:
    """The chosen period; without one, since the last visit (latest EDSS or note before today), else 12 weeks."""
    today = timezone.localdate()
    visit = selectors.last_visit(patient, today)
    if request.GET.get("start") or request.GET.get("end"):
        form, start, end = DateRangeForm.for_request(request.GET)
        return form, start, end, visit
    start = (
        visit
        if visit is not None and (today - visit).days <= MAX_RANGE_DAYS
        else today - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    )
    return DateRangeForm(initial={"start": start, "end": today}), start, today, visit


@require_GET
def patient_report(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Two A4 pages for a visit: flags with their evidence, charts drawn as SVG, relapses, MFIS, EDSS,
    medications and what was eaten, over the chosen period."""
    patient = patient_or_404(request, patient_id, what="clinic:report", audit_read=False)
    viewer = request.user
    if viewer.role == Role.CLINICIAN:
        record(action=Action.EXPORT, request=request, patient=patient, what="clinic:report")
    range_form, start, end, visit = _report_period(request, patient)
    data = selectors.report_data(patient, start, end)
    relapses = selectors.relapse_items(patient, start, end, None)
    bands = [(item.relapse.started_on, item.relapse.ended_on or end) for item in relapses]
    today = timezone.localdate()
    mfis = [row for row in selectors.mfis_history(patient) if row.date <= end][: selectors.REPORT_MFIS_ROWS]
    presets = [
        {"label": label, "start": today - timedelta(days=days - 1), "end": today} for days, label in REPORT_PRESETS
    ]
    if visit is not None and (today - visit).days <= MAX_RANGE_DAYS:
        presets.insert(
            0,
            {
                "label": _("Since the last visit (%(day)s)") % {"day": formats.date_format(visit, "j M Y")},
                "start": visit,
                "end": today,
            },
        )
    for preset in presets:
        preset["current"] = preset["start"] == start and preset["end"] == end
    context = {
        "patient": patient,
        "start": start,
        "end": end,
        "period_days": (end - start).days + 1,
        "range_form": range_form,
        "presets": presets,
        "data": data,
        "summary": data.summary,
        "charts": _report_charts(data, start, end, bands),
        "flags": dash.dashboard_rows(visible_to(viewer).filter(pk=patient.pk), today)[0].flag_items,
        "relapses": relapses[:REPORT_RELAPSES],
        "relapses_left_out": max(len(relapses) - REPORT_RELAPSES, 0),
        "relapse_count": selectors.qualifying_count(relapses),
        "relapse_total": len(relapses),
        "mfis": mfis,
        "edss": selectors.edss_history(patient, end=end, limit=selectors.REPORT_EDSS_ROWS),
        "medications": selectors.medications_for_report(patient, start, end),
        "printed_at": timezone.localtime(),
        "printed_by": viewer,
    }
    return render(request, "clinic/report.html", context)


@require_POST
def note_add(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    patient = clinician_patient_or_404(request, patient_id, what="clinic:note-add")
    form = NoteForm(request.POST)
    if not form.is_valid():
        # The page again with the error beside the note and the text as typed: nothing is lost.
        messages.error(
            request,
            _("The note was not saved: %(errors)s") % {"errors": " ".join(str(e) for e in form.errors.get("body", []))},
        )
        return _render_review(request, patient, note_form=form, status=422)
    add_note(patient=patient, author=request.user, body=form.cleaned_data["body"], request=request)
    messages.success(request, _("Note saved."))
    return redirect(reverse("clinic:patient", args=[patient.pk]) + "#notes")


@require_http_methods(["GET", "POST"])
def note_edit(request: AuthenticatedHttpRequest, patient_id: int, note_id: int) -> HttpResponse:
    patient = clinician_patient_or_404(request, patient_id, what="clinic:note-edit")
    note = ClinicianNote.objects.filter(pk=note_id, patient=patient, author=request.user).first()
    if note is None:
        deny(request, patient_id, "clinic:note-edit")
    form = NoteForm(request.POST or None, instance=note)
    if request.method == "POST" and form.is_valid():
        edit_note(note=note, body=form.cleaned_data["body"])
        messages.success(request, _("Note saved."))
        return redirect(reverse("clinic:patient", args=[patient.pk]) + "#notes")
    return render(request, "clinic/note_edit.html", {"form": form, "patient": patient, "note": note})


@require_POST
def edss_add(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """A granted clinician records an EDSS; anyone else gets the chokepoint's 404."""
    patient = clinician_patient_or_404(request, patient_id, what="clinic:edss-add")
    form = EDSSForm(request.POST, patient_today=today_of(patient))
    if form.is_valid():
        data = form.cleaned_data
        try:
            record_edss(
                patient=patient,
                clinician=request.user,
                assessed_on=data["assessed_on"],
                score=data["score"],
                note=data["note"],
                request=request,
            )
        except EDSSDateTaken as taken:
            form.date_taken(taken.existing)
        else:
            messages.success(request, _("EDSS saved."))
            return redirect(reverse("clinic:patient", args=[patient.pk]) + "#edss")
    messages.error(request, _("The EDSS was not saved: see the form below."))
    return _render_review(request, patient, edss_form=form, status=422)


@require_http_methods(["GET", "POST"])
def edss_edit(request: AuthenticatedHttpRequest, patient_id: int, edss_id: int) -> HttpResponse:
    """Only the clinician who recorded a score corrects or deletes it."""
    patient = clinician_patient_or_404(request, patient_id, what="clinic:edss-edit")
    edss = EDSSScore.objects.filter(pk=edss_id, patient=patient, recorded_by=request.user).first()
    if edss is None:
        deny(request, patient_id, "clinic:edss-edit")
    back = reverse("clinic:patient", args=[patient.pk]) + "#edss"
    if request.method == "POST" and request.POST.get("delete"):
        delete_edss(edss=edss)
        messages.success(request, _("EDSS deleted."))
        return redirect(back)
    form = EDSSForm(request.POST or None, instance=edss, patient_today=today_of(patient))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            edit_edss(edss=edss, assessed_on=data["assessed_on"], score=data["score"], note=data["note"])
        except EDSSDateTaken as taken:
            form.date_taken(taken.existing)
        else:
            messages.success(request, _("EDSS saved."))
            return redirect(back)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "patient": patient, "edss": edss, "back": back}
    return render(request, "clinic/edss_edit.html", context, status=status)


@require_POST
def relapse_review(request: AuthenticatedHttpRequest, patient_id: int, relapse_id: int) -> HttpResponse:
    patient = clinician_patient_or_404(request, patient_id, what="clinic:relapse-review")
    relapse = Relapse.objects.filter(pk=relapse_id, patient=patient).first()
    if relapse is None:
        deny(request, patient_id, "clinic:relapse-review")
    form = RelapseReviewForm(request.POST)
    if form.is_valid():
        review_relapse(
            relapse=relapse,
            reviewer=request.user,
            verdict=form.cleaned_data["verdict"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("Your reading of this relapse is saved."))
    else:
        messages.error(request, _("Choose your reading of this relapse."))
    return redirect(reverse("clinic:patient", args=[patient.pk]) + f"#relapse-{relapse.pk}")
