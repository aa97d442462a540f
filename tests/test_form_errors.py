"""One error summary for every form: announced, focusable, each error linked to its field and back."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from tests.tracker.conftest import pinned_today  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parent.parent


class _Page(HTMLParser):
    """The ids of a page, the error summaries with their links, and every aria-describedby."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.summaries: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.described_by: list[str] = []
        self.depth = 0  # > 0 inside a summary

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"])
        if found.get("aria-describedby"):
            self.described_by += found["aria-describedby"].split()
        if "error-summary" in (found.get("class") or "").split():
            self.summaries.append(found)
            self.depth = 1
        elif self.depth and tag == "div":
            self.depth += 1
        if self.depth and tag == "a":
            self.links.append(found["href"])

    def handle_endtag(self, tag):
        if self.depth and tag == "div":
            self.depth -= 1


def read(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def assert_linked_both_ways(page: _Page) -> None:
    assert page.summaries, "no error summary"
    for summary in page.summaries:
        assert summary.get("role") == "alert" and summary.get("tabindex") == "-1"
    assert page.links
    for href in page.links:
        assert href.startswith("#") and href[1:] in page.ids, href
    for target in page.described_by:
        assert target in page.ids, target
    errors = [i for i in page.ids if i.endswith("_error")]
    assert errors and set(errors) <= set(page.described_by), errors


def test_there_is_one_error_summary_template():
    templates = [p for p in ROOT.rglob("*.html") if ".venv" not in p.parts and "staticfiles" not in p.parts]
    defining = sorted(str(p.relative_to(ROOT)) for p in templates if re.search(r'class="error-summary', p.read_text()))
    assert defining == ["templates/includes/form_errors.html"]


@pytest.mark.django_db
def test_a_day_section_with_errors_links_each_error_to_its_field(patient_client, pinned_today):  # noqa: F811
    bad = {"in_bed_at": "22:30", "tried_sleep_at": "21:00", "minutes_to_fall_asleep": "x", "quality": "9"}
    for headers in ({}, {"HX-Request": "true"}):
        response = patient_client.post(reverse("tracker:sleep", args=[pinned_today]), bad, headers=headers)
        page = read(response.content.decode())
        assert_linked_both_ways(page)
        assert "#id_quality_error" in page.links  # a group of choices: the link goes to its error list


@pytest.mark.django_db
@pytest.mark.usefixtures("pinned_today")
def test_the_questionnaire_says_what_finishing_needs_and_links_every_missing_answer(patient_client):
    response = patient_client.post(reverse("tracker:mfis"), {"item_1": "2", "action": "finish"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "To finish, every question needs an answer" in html
    page = read(html)
    assert_linked_both_ways(page)
    assert len(page.links) == 20
    assert "Question 2</a> — Answer this question to finish" in html  # numbered: the questions themselves are long


@pytest.mark.django_db
def test_the_sign_up_form_uses_the_same_summary(client):
    response = client.post(reverse("accounts:signup"), {"email": "not-an-email", "password1": "x", "password2": "y"})
    page = read(response.content.decode())
    assert_linked_both_ways(page)
