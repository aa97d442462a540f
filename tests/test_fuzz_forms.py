"""Fuzzing: generated input posted to every form a signed-in user can reach, typed into every
query string and put into every date in a path.

The forms are found the way a person finds them: by opening the pages and
reading their <form> elements. Whatever is sent, the answer is never a 5xx, and
a refused submission (a form error) writes nothing.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from clinic.models import ConsentWording
from clinic.services import grant_access
from tests.conftest import client_on_session, session_of, verified_login
from tests.factories import PASSWORD, ClinicianFactory, PatientFactory
from tests.test_url_allowlist import walk
from tracker.models import Food, Medication, Relapse
from tracker.services import add_meal_item

# Forms whose success ends the session or the account: fuzzed elsewhere (their own tests).
SKIP_ACTIONS = ("/accounts/logout/", "/accounts/language/")
ERROR_MARKERS = (b"error-summary", b"errorlist")
APPS_WITH_DATA = ("tracker", "guidance", "trends", "clinic", "accounts")


class FormParser(HTMLParser):
    """Collect each POST form's action and field names with one plausible value each."""

    def __init__(self, method: str = "post") -> None:
        super().__init__()
        self.method = method
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == self.method:
            self._form = {"action": a.get("action", ""), "fields": {}}
        elif self._form is None:
            return
        elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            self._form["fields"].setdefault(a["name"], a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._form["fields"].setdefault(a["name"], "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["fields"].setdefault(a["name"], "")
        elif tag == "option" and self._select and not self._form["fields"][self._select]:
            self._form["fields"][self._select] = a.get("value", "")
        elif tag == "button" and a.get("name"):
            self._form["fields"].setdefault(a["name"], a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def post_forms(client: Client, pages: list[str], method: str = "post") -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        parser = FormParser(method)
        parser.feed(response.content.decode())
        for form in parser.forms:
            action = form["action"] or page
            if action.startswith(SKIP_ACTIONS) or "erase" in action:
                continue
            found.setdefault(action, form["fields"])
    return found


def row_counts() -> dict[str, int]:
    """Each table's row count, in one query (asked before and after each of hundreds of examples)."""
    models = [model for model in apps.get_models() if model._meta.app_label in APPS_WITH_DATA]
    quote = connection.ops.quote_name
    # The table names come from the models, quoted: nothing typed reaches this SQL.
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(model._meta.db_table)})" for model in models)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        row = cursor.fetchone()
    return {model._meta.label: count for model, count in zip(models, row, strict=True)}


hostile_text = st.one_of(
    st.text(max_size=40),
    st.just("\x00"),
    st.just("x" * 5000),
    st.just('"><img src=x onerror=alert(1)>'),
    st.just('=HYPERLINK("http://x")'),
)
values = st.one_of(
    hostile_text,
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.sampled_from(["", "0", "-1", "25:61", "23:59", "on", "true", "999999999999999999999"]),
)


def mutate(fields: dict[str, str], data: st.DataObject) -> dict[str, str]:
    """Keep the page's plausible values for some fields, replace or drop the others."""
    posted: dict[str, str] = {}
    for name, value in fields.items():
        if name == "csrfmiddlewaretoken":
            continue
        choice = data.draw(st.sampled_from(["keep", "replace", "drop"]), label=name)
        if choice == "keep":
            posted[name] = value
        elif choice == "replace":
            posted[name] = data.draw(values, label=name)
    return posted


def fuzz(client: Client, forms: dict[str, dict[str, str]], data: st.DataObject) -> None:
    action = data.draw(st.sampled_from(sorted(forms)), label="action")
    posted = mutate(forms[action], data)
    headers = {"HTTP_HX_REQUEST": "true"} if data.draw(st.booleans(), label="htmx") else {}
    before = row_counts()
    response = client.post(action, posted, **headers)
    assert response.status_code < 500, (action, posted, response.status_code)
    refused = response.status_code in (400, 404, 409, 422) or any(m in response.content for m in ERROR_MARKERS)
    if refused:
        assert row_counts() == before, (action, posted)


@dataclass(frozen=True)
class Pages:
    """A signed-in session (its key) and the forms found on its pages, made once per class."""

    session_key: str
    forms: dict[str, dict[str, str]]
    patient_id: int


@pytest.fixture(scope="class")
def patient_world(class_db) -> Pages:
    """A patient with a catalog, a relapse, a meal and a medication, and the forms of their pages:
    once for the class (`class_db`: each test starts from these rows, its examples' writes rolled
    back after it), not once for each of the four tests (about a second of CPU each)."""
    patient = PatientFactory()
    client = Client()
    client.force_login(patient)
    call_command("load_foods", verbosity=0)
    today = timezone.localdate()
    relapse = Relapse.objects.create(patient=patient, started_on=today - timedelta(days=40), symptoms="numb leg")
    food = Food.objects.filter(owner__isnull=True).first()
    assert food is not None
    add_meal_item(patient=patient, day=today - timedelta(days=1), meal="lunch", food=food, grams=100.0)
    medication = Medication.objects.create(patient=patient, therapy="fingolimod", is_dmt=True, ask_daily=True)
    pages = [
        reverse("tracker:today"),
        reverse("tracker:today") + "?meal=lunch&q=apple",
        reverse("tracker:day", args=[today - timedelta(days=1)]),
        reverse("tracker:relapse-new"),
        reverse("tracker:relapse-edit", args=[relapse.pk]),
        reverse("tracker:mfis"),
        reverse("tracker:food-new"),
        reverse("tracker:medications"),
        reverse("tracker:medication-edit", args=[medication.pk]),
        reverse("tracker:medication-delete", args=[medication.pk]),
        reverse("accounts:profile"),
        reverse("accounts:password-change"),
        reverse("clinic:sharing"),
        reverse("clinic:my-data"),
    ]
    forms = post_forms(client, pages)
    assert len(forms) >= 10, sorted(forms)
    return Pages(session_of(client), forms, patient.pk)


@pytest.fixture
def patient_pages(db, patient_world) -> tuple[Client, dict[str, dict[str, str]]]:
    return client_on_session(patient_world.session_key), patient_world.forms


@pytest.fixture(scope="class")
def clinician_world(class_db) -> Pages:
    """A clinician a patient shares with, and the forms of the clinician's pages, once for the class."""
    patient = PatientFactory()
    clinician = ClinicianFactory()
    Relapse.objects.create(patient=patient, started_on=timezone.localdate() - timedelta(days=3), symptoms="vision")
    grant_access(patient=patient, clinician=clinician, wording=ConsentWording.current())
    client = Client()
    verified_login(client, clinician)
    forms = post_forms(client, [reverse("clinic:dashboard"), reverse("clinic:patient", args=[patient.pk])])
    assert forms, "the clinician pages have forms (notes, relapse review, invite code)"
    return Pages(session_of(client), forms, patient.pk)


@pytest.fixture
def clinician_pages(db, clinician_world) -> tuple[Client, dict[str, dict[str, str]]]:
    return client_on_session(clinician_world.session_key), clinician_world.forms


# Query strings ----------------------------------------------------------------------------------

# Pages that read a query string without showing a <form method="get"> for it (the chart range is
# given by the page that embeds the charts), with the parameters they read.
QUERY_PAGES = {
    "/trends/charts/": {"start": "2026-01-05", "end": "2026-03-29", "poll": "0"},
    "/day/go/": {"date": "2026-01-15"},
}


def fuzz_query(client: Client, pages: dict[str, dict[str, str]], data: st.DataObject) -> None:
    page = data.draw(st.sampled_from(sorted(pages)), label="page")
    query = mutate(pages[page], data)
    headers = {"HTTP_HX_REQUEST": "true"} if data.draw(st.booleans(), label="htmx") else {}
    response = client.get(page, query, **headers)
    assert response.status_code < 500, (page, query, response.status_code)


@pytest.fixture
def patient_queries(patient_pages) -> tuple[Client, dict[str, dict[str, str]]]:
    client, _forms = patient_pages
    today = timezone.localdate()
    pages = [
        reverse("tracker:today"),
        reverse("tracker:day", args=[today - timedelta(days=1)]),
        reverse("trends:dashboard"),
    ]
    found = {**post_forms(client, pages, method="get"), **QUERY_PAGES}
    assert "/day/go/" in found
    return client, found


@pytest.fixture
def clinician_queries(clinician_pages, clinician_world) -> tuple[Client, dict[str, dict[str, str]]]:
    client, _forms = clinician_pages
    patient_page = reverse("clinic:patient", args=[clinician_world.patient_id])
    found = post_forms(client, [reverse("clinic:dashboard"), patient_page], method="get")
    found[reverse("clinic:report", args=[clinician_world.patient_id])] = {"start": "2026-01-01", "end": "2026-03-01"}
    assert patient_page in found or any("start" in fields for fields in found.values())
    return client, found


# Dates in paths ---------------------------------------------------------------------------------


def dated_url_names() -> list[str]:
    """Every URL name whose path holds a date (the isodate converter), found in the resolver."""
    return sorted({name for name, pattern, _ns in walk() if name and "<isodate:" in pattern})


path_dates = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.sampled_from(["0001-01-01", "1899-12-31", "1900-01-01", "9999-12-31", "2026-02-30", "0000-00-00"]),
)


def url_kwargs(name: str, day: date) -> dict[str, object]:
    samples: dict[str, object] = {"day": day, "section": "sleep", "meal": "lunch", "food_id": 1}
    ns, _, short = name.rpartition(":")
    resolver = get_resolver().namespace_dict[ns][1] if ns else get_resolver()
    (possibility, *_rest) = resolver.reverse_dict.getlist(short)
    params = possibility[0][0][1]
    return {param: samples[param] for param in params}


# The tests, by the signed-in person whose pages they fuzz: each class's pages are found once.


class TestPatientPages:
    @given(data=st.data())
    def test_it_never_answers_a_patient_form_with_a_server_error(self, patient_pages, data):
        client, forms = patient_pages
        fuzz(client, forms, data)

    def test_the_fuzzer_finds_the_forms_of_the_day_page(self, patient_pages):
        _client, forms = patient_pages
        actions = " ".join(forms)
        for part in ("/fatigue/", "/sleep/", "/lifestyle/", "/symptoms/", "/meals/", "/medicines/", "/treatments/"):
            assert part in actions, part
        assert PASSWORD  # factory users sign in with it; the password form is fuzzed with wrong ones

    @given(data=st.data())
    def test_it_never_answers_a_patient_query_string_with_a_server_error(self, patient_queries, data):
        client, pages = patient_queries
        fuzz_query(client, pages, data)

    @given(data=st.data())
    def test_it_never_answers_a_date_in_a_path_with_a_server_error(self, patient_pages, data):
        client, _forms = patient_pages
        names = dated_url_names()
        assert "tracker:day" in names and "tracker:fatigue" in names
        name = data.draw(st.sampled_from(names), label="url")
        day = data.draw(path_dates, label="date")
        # reverse() checks the converter's regex only; fill the other arguments with plain values.
        url = reverse(name, kwargs=url_kwargs(name, date(2026, 1, 15))).replace("2026-01-15", day, 1)
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"score": "5", "meal": "lunch", "q": "apple"})
            assert response.status_code < 500, (method, url, response.status_code)


class TestClinicianPages:
    @given(data=st.data())
    def test_it_never_answers_a_clinician_form_with_a_server_error(self, clinician_pages, data):
        client, forms = clinician_pages
        fuzz(client, forms, data)

    @given(data=st.data())
    def test_it_never_answers_a_clinician_query_string_with_a_server_error(self, clinician_queries, data):
        client, pages = clinician_queries
        fuzz_query(client, pages, data)
