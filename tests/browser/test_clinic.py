"""A clinician signs in with a TOTP code, opens a flagged patient, reads the charts and exports FHIR."""

import importlib
import json
import os
import random
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from playwright.sync_api import expect

from accounts.models import Authenticator
from audit.models import Action, AuditEvent
from clinic.models import ConsentWording, EDSSScore
from clinic.services import grant_access
from guidance.models import RuleSetVersion
from guidance.services import rescore_patients
from tests.browser.conftest import shoot, signed_in
from tests.factories import PASSWORD, ClinicianFactory, PatientFactory
from tests.otp import totp_code
from tracker.demo import make_history, mfis_items
from tracker.models import FatigueRating, Medication, MFISResponse, Relapse
from trends.services import rebuild_patient

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def browser_page(open_page):
    return open_page(viewport=DESKTOP, locale="en-GB", accept_downloads=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_clinician_signs_in_with_a_code_opens_a_flagged_patient_and_exports_fhir(browser_page):
    if not ConsentWording.objects.exists():  # transactional tests flush the data migration's row
        ConsentWording.objects.create(version=1, text_en="I agree.", text_fr="J'accepte.")
    clinician = ClinicianFactory(display_name="Dr Test")
    device = Authenticator.new(user=clinician, confirmed=True)
    flagged = PatientFactory(display_name="Flagged Patient")
    quiet = PatientFactory(display_name="Quiet Patient")
    today = timezone.localdate()
    for patient in (flagged, quiet):
        grant_access(patient=patient, clinician=clinician, wording=ConsentWording.current())
        FatigueRating.objects.bulk_create(
            FatigueRating(patient=patient, date=today - timedelta(days=d), score=4) for d in range(0, 20)
        )
    Relapse.objects.create(
        patient=flagged, started_on=today - timedelta(days=6), symptoms="Double vision", lasted_over_24h=True
    )

    rebuild_patient(patient_id=flagged.pk)  # the weekly summaries the charts draw

    page = browser_page
    base = page.base_url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", clinician.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/two-factor/verify/**")
    page.fill("input[name=code]", totp_code(device))
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/clinic/")

    # "What the flags mean" looks openable (a disclosure arrow: summaries are display:flex, which hides the native one).
    legend = page.locator(".clinic-legend summary")
    marker = legend.evaluate("el => getComputedStyle(el, '::before').content")
    assert "▸" in marker, marker
    legend.click()
    assert "▾" in legend.evaluate("el => getComputedStyle(el, '::before').content")
    assert page.locator(".clinic-legend dl").is_visible()

    # The dashboard puts the flagged patient first, with the reason.
    first_row = page.locator("#patient-list tbody tr").first
    assert "Flagged Patient" in first_row.inner_text()
    assert "Relapse" in first_row.inner_text()
    page.get_by_role("link", name="Flagged Patient", exact=True).click()
    page.wait_for_url(f"**/clinic/patients/{flagged.pk}/")

    charts = page.locator("#charts")
    assert charts.get_by_role("heading", name="Weekly charts").is_visible()
    assert charts.inner_text().strip() != "Weekly charts"
    charts.locator("svg").first.wait_for(state="visible")  # plotly drew the figures
    assert "Fatigue" in charts.inner_text()
    assert "Double vision" in page.locator("#relapses").inner_text()

    with page.expect_download() as download_info:
        page.locator("#exports").get_by_role("link", name="FHIR R4").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".fhir.json")
    document = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    bundle = Bundle.model_validate(document)
    assert any(entry.resource.__resource_type__ == "Observation" for entry in bundle.entry)

    assert AuditEvent.objects.filter(actor=clinician, patient=flagged, action=Action.PATIENT_READ).exists()
    assert AuditEvent.objects.filter(actor=clinician, patient=flagged, action=Action.EXPORT).exists()
    assert not AuditEvent.objects.filter(actor=clinician, patient=quiet).exists()
    assert page.console_errors == []  # type: ignore[attr-defined]  # (plotly.js adds no <style>: trends.css has its rules)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_report_prints_once_and_hides_its_print_button_without_javascript(open_page):
    patient = PatientFactory()
    report = f"/clinic/patients/{patient.pk}/report/"
    page = open_page(viewport=DESKTOP, locale="en-GB")
    page.add_init_script("window.prints = 0; window.print = function () { window.prints += 1; };")
    signed_in(page, patient, path=report)
    page.get_by_role("button", name="Print or save as PDF").click()
    page.wait_for_timeout(200)
    assert page.evaluate("window.prints") == 1

    plain = signed_in(open_page(viewport=DESKTOP, locale="en-GB", java_script_enabled=False), patient, path=report)
    # A button that could do nothing without scripts is not shown; the browser's own print still works.
    assert not plain.get_by_role("button", name="Print or save as PDF").is_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_patient_list_pages_fifty_at_a_time_at_desktop_and_phone_width(open_page):
    if not ConsentWording.objects.exists():  # transactional tests flush the data migration's row
        ConsentWording.objects.create(version=1, text_en="I agree.", text_fr="J'accepte.")
    clinician = ClinicianFactory(display_name="Dr Pages")
    for n in range(60):
        patient = PatientFactory(display_name=f"Patient {n:02d}")
        grant_access(patient=patient, clinician=clinician, wording=ConsentWording.current())
    # Signed in with the second factor passed (signing in with a code is the first test's subject).
    page = signed_in(open_page(viewport=DESKTOP, locale="en-GB"), clinician, verified=True)
    assert page.url == f"{page.base_url}/clinic/"
    for name, viewport in (("desktop", DESKTOP), ("phone", {"width": 390, "height": 844})):
        page.set_viewport_size(viewport)
        if name != "desktop":  # signed in at desktop width, the list is open already
            page.goto(f"{page.base_url}/clinic/")
        rows = page.locator("#patient-list tbody tr")
        expect(rows).to_have_count(50)
        pager = page.get_by_role("navigation", name="Pages of the patient list")
        assert "Patients 1 to 50 of 60" in pager.inner_text()
        # Nobody has entries yet, so each has the same one flag: by name. Through htmx, the list alone is swapped.
        pager.get_by_role("link", name="Page 2").click()
        expect(rows).to_have_count(10)
        expect(rows.first).to_contain_text("Patient 50")
        assert "page=2" in page.url
        expect(pager.locator("[aria-current=page]")).to_have_text("Page 2")
        shoot(page, f"clinic-pages-{name}")
    assert page.console_errors == []  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the two-page report

A4_PRINTABLE_PX = round((210 - 2 * 12) / 25.4 * 96)  # A4 width less the report's 12 mm margins, in CSS pixels
PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def _year_of_entries(patient, clinician, today):
    """A year like the demo's: meals, sleep, fatigue, two relapses, an MFIS every 4 weeks, medicines, EDSS."""
    call_command("load_foods", verbosity=0)
    if not RuleSetVersion.objects.exists():  # transactional tests flush the data migration's rules
        importlib.import_module("guidance.migrations.0003_default_rules").create_defaults(django_apps, None)
    start = today - timedelta(days=364)
    make_history(patient, start, today, seed=21, style="mixed", fatigue_trend=0.03)
    Relapse.objects.create(
        patient=patient,
        started_on=today - timedelta(days=200),
        ended_on=today - timedelta(days=180),
        symptoms="Numb left hand and foot, worse in the heat, walking shorter distances than usual.",
        lasted_over_24h=True,
        steroids=True,
    )
    Relapse.objects.create(
        patient=patient, started_on=today - timedelta(days=20), symptoms="Blurred vision", lasted_over_24h=True
    )
    rng = random.Random(4)  # noqa: S311 - demo answers, not secrets
    MFISResponse.objects.bulk_create(
        MFISResponse(patient=patient, date=today - timedelta(weeks=w), items=mfis_items(rng, 1.8), completed=True)
        for w in range(0, 52, 4)
    )
    Medication.objects.create(
        patient=patient,
        therapy="teriflunomide",
        is_dmt=True,
        dose="14 mg once a day",
        started_on=start - timedelta(days=400),
        ask_daily=True,
    )
    Medication.objects.create(patient=patient, name="Vitamin D3", dose="1000 IU a day", started_on=start)
    Medication.objects.create(
        patient=patient, name="Baclofen", dose="10 mg at night", started_on=start, stopped_on=today - timedelta(days=90)
    )
    for weeks_ago, score in ((50, "2.0"), (24, "2.5"), (6, "2.5")):
        EDSSScore.objects.create(
            patient=patient,
            score=Decimal(score),
            assessed_on=today - timedelta(weeks=weeks_ago),
            recorded_by=clinician,
            recorded_by_name=str(clinician),
        )
    version = RuleSetVersion.objects.order_by("-number").first()
    rescore_patients(patient_ids=[patient.pk], start=None, end=None, version=version)


def _pdf_pages(pdf: bytes) -> int:
    """Page objects in the PDF (Chromium writes them uncompressed; /Type /Pages, the tree node, is not one)."""
    return len(PDF_PAGE.findall(pdf))


WIDER_THAN_PAGE = """(limit) => [...document.querySelectorAll('body *')]
  .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && (r.right > limit + 0.5 || r.left < -0.5
      || el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible'); })
  .map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_clinician_reaches_the_report_in_three_steps_and_it_prints_on_two_a4_pages(open_page, tmp_path):
    if not ConsentWording.objects.exists():
        ConsentWording.objects.create(version=1, text_en="I agree.", text_fr="J'accepte.")
    clinician = ClinicianFactory(display_name="Dr Report")
    device = Authenticator.new(user=clinician, confirmed=True)
    patient = PatientFactory(display_name="Year Patient")
    others = [PatientFactory(display_name=f"Other Patient {n}") for n in range(3)]
    for person in (patient, *others):
        grant_access(patient=person, clinician=clinician, wording=ConsentWording.current())
    today = timezone.localdate()
    _year_of_entries(patient, clinician, today)

    page = open_page(viewport=DESKTOP, locale="en-GB")
    base = page.base_url
    interactions = 0
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", clinician.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    interactions += 1  # the password
    page.wait_for_url("**/two-factor/verify/**")
    page.fill("input[name=code]", totp_code(device))
    page.locator("main button[type=submit]").click()
    interactions += 1  # the code
    page.wait_for_url("**/clinic/")
    page.get_by_role("link", name="Report for Year Patient").click()
    interactions += 1  # the row's report link
    page.wait_for_url(f"**/clinic/patients/{patient.pk}/report/")
    assert interactions <= 4

    # Without a chosen period: since the last visit (the EDSS of 6 weeks ago).
    since = today - timedelta(weeks=6)
    assert page.locator("nav.clinic-periods a[aria-current]").inner_text().startswith("Since the last visit")
    assert f"{since.day} {since:%B %Y} – " in page.locator(".clinic-report-head").inner_text()

    # A year: the longest a visit looks back, printed.
    page.goto(
        f"{base}/clinic/patients/{patient.pk}/report/?start={today - timedelta(days=364):%Y-%m-%d}&end={today:%Y-%m-%d}"
    )
    report = page.locator(".clinic-report")
    assert report.locator("svg.clinic-chart-svg").count() == 5
    text = report.inner_text()
    for expected in (
        "Flags today",
        "Meets the definition of a relapse",
        "Teriflunomide",
        "Vitamin D3",
        "2.5",
        "MEDAS items most often missed",
        "Foods eaten most",
        "Psychosocial",
    ):
        assert expected in text, expected
    assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
    assert page.locator(".clinic-report [style]").count() == 0

    page.set_viewport_size({"width": A4_PRINTABLE_PX, "height": 1100})
    page.emulate_media(media="print")
    assert page.evaluate(WIDER_THAN_PAGE, A4_PRINTABLE_PX) == []
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    # REPORT_PDF_DIR keeps the file to look at (pdftoppm -png -r 60 msgut-report.pdf page).
    (Path(os.environ.get("REPORT_PDF_DIR") or tmp_path) / "msgut-report.pdf").write_bytes(pdf)
    assert 1 <= _pdf_pages(pdf) <= 2
    # Printed, the charts are still charts: vector paths, not a table in their place.
    assert page.locator(".clinic-chart-svg polyline").first.is_visible()
    assert page.console_errors == []  # type: ignore[attr-defined]
