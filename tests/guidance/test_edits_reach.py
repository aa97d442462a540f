"""An admin's edit reaches everything a person reads: the rule's page, the day panel, the chart's
target line and the weekly summaries; the admin edits typed fields and sees consistent progress."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Profile
from guidance import selectors, services
from guidance.models import Rule, RuleSetVersion
from tests.guidance.admin_forms import rule_post
from tests.guidance.factories import FoodFactory, MealItemFactory
from tracker.models import MealItem
from trends import services as trends_services
from trends.models import WeeklySummary

CHANGE_URL = "admin:guidance_rule_change"
DAY = dt.date(2026, 3, 4)  # a Wednesday

FIBER_EN = "Fiber feeds the gut bacteria. Goal: {target} g a day. Weight: {weight} of 100 points."
FIBER_FR = "Les fibres nourrissent les bactéries. Objectif : {target} g par jour. Poids : {weight} points sur 100."


@pytest.fixture
def fiber(db):
    """The fiber rule with placeholders in its rationale, published (v2), as the v2 texts are written."""
    rule = Rule.objects.get(key="fiber")
    rule.rationale_en, rule.rationale_fr = FIBER_EN, FIBER_FR
    rule.save()
    services.publish(user=None, note="placeholders")
    return rule


def publish_target(admin_client, rule: Rule, target: float, django_capture_on_commit_callbacks) -> None:
    url = reverse(CHANGE_URL, args=[rule.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, rule_post(rule, {**rule.params, "target": target}, _publish="1"))
    assert response.status_code == 302, response.content.decode()[:3000]


def chart_figure(html: str, chart: str) -> dict:
    found = re.search(rf'<script id="trend-\d+-{chart}-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, f"no {chart} chart data in the page"
    return json.loads(found.group(1))


# ---------------------------------------------------------------- the words follow the published parameters


def test_an_edited_fiber_target_reaches_the_rule_page_the_day_panel_and_the_chart(
    admin_client, client, patient, fiber, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to("2026-03-06 12:00 +01:00", tick=False)
    MealItemFactory(patient=patient, food=FoodFactory(fiber_g_per_100g=10), grams=100, date=DAY)
    trends_services.rebuild_patient(patient_id=patient.pk)

    publish_target(admin_client, fiber, 30, django_capture_on_commit_callbacks)

    client.force_login(patient)
    rule_page = client.get(reverse("guidance:rule", args=["fiber"])).content.decode()
    assert "Goal: 30 g a day." in rule_page and "25 g" not in rule_page
    assert "Weight: 20 of 100 points." in rule_page
    listing = client.get(reverse("guidance:rules")).content.decode()
    assert "Goal: 30 g a day." in listing
    # The day page folds the panel into its score line; opening it asks for the panel.
    day_page = client.get(reverse("tracker:day", args=[DAY])).content.decode()
    assert reverse("tracker:day-score", args=[DAY]) in day_page
    panel = client.get(reverse("tracker:day-score", args=[DAY]), headers={"HX-Request": "true"}).content.decode()
    assert 'class="guidance-panel"' in panel and "30 g" in panel and "25 g" not in panel
    trends = client.get(reverse("trends:dashboard"), {"start": "2026-02-02", "end": "2026-03-06"}).content.decode()
    target = next(t for t in chart_figure(trends, "food")["data"] if t.get("mode") == "lines" and "target" in t["name"])
    assert target["y"] == [30, 30]
    assert target["name"] == "Fiber target: 30 g"


def test_the_rule_page_numbers_follow_the_locale(client, patient, fiber):
    Rule.objects.filter(key="fiber").update(params={"measure": "fiber_g", "target": 27.5}, weight=20)
    services.publish(user=None, note="27.5 g")
    Profile.objects.filter(user=patient).update(language="fr")
    client.force_login(patient)
    french = client.get(reverse("guidance:rule", args=["fiber"])).content.decode()
    assert "Objectif : 27,5 g par jour." in french and "Poids : 20 points sur 100." in french
    Profile.objects.filter(user=patient).update(language="en")
    assert "Goal: 27.5 g a day." in client.get(reverse("guidance:rule", args=["fiber"])).content.decode()


def test_a_chart_without_a_published_fiber_rule_draws_no_target_line(client, patient, fiber, time_machine):
    time_machine.move_to("2026-03-06 12:00 +01:00", tick=False)
    Rule.objects.filter(key="fiber").update(active=False)
    services.publish(user=None, note="no fiber rule")
    MealItemFactory(patient=patient, food=FoodFactory(fiber_g_per_100g=10), grams=100, date=DAY)
    trends_services.rebuild_patient(patient_id=patient.pk)
    client.force_login(patient)
    trends = client.get(reverse("trends:dashboard"), {"start": "2026-02-02", "end": "2026-03-06"}).content.decode()
    assert all("target" not in str(t.get("name", "")) for t in chart_figure(trends, "food")["data"])


# ---------------------------------------------------------------- publishing rebuilds the weeks


def test_publishing_rebuilds_the_weekly_summaries_at_once(
    admin_client, patient, fiber, django_capture_on_commit_callbacks
):
    MealItemFactory(patient=patient, food=FoodFactory(fiber_g_per_100g=10), grams=100, date=DAY)
    services.rescore_version(version=selectors.current_version())
    trends_services.rebuild_patient(patient_id=patient.pk)
    week = WeeklySummary.objects.get(patient=patient)
    before = next(line for line in week.rule_means if line["key"] == "fiber")
    assert before["possible"] == 20

    url = reverse(CHANGE_URL, args=[fiber.pk])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, rule_post(fiber, weight=30, _publish="1"))

    week.refresh_from_db()
    after = next(line for line in week.rule_means if line["key"] == "fiber")
    assert after["possible"] == 30  # the v2 weight, without waiting for the nightly catch-up


def test_the_sweep_rebuilds_the_weeks_of_the_scores_it_recomputes(patient, fiber, django_capture_on_commit_callbacks):
    """A publish whose rescore never started: the periodic sweep rescores and the weeks follow."""
    MealItemFactory(patient=patient, food=FoodFactory(fiber_g_per_100g=10), grams=100, date=DAY)
    services.rescore_version(version=selectors.current_version())
    trends_services.rebuild_patient(patient_id=patient.pk)
    MealItem.objects.update(updated_at=timezone.now() - dt.timedelta(days=3))  # an old entry, scored long ago
    Rule.objects.filter(key="fiber").update(weight=30)
    services.publish(user=None, note="the broker was down")  # its on-commit rescore never runs here
    with django_capture_on_commit_callbacks(execute=True):
        report = services.sweep()
    assert report.version_patients == 1
    week = WeeklySummary.objects.get(patient=patient)
    assert next(line for line in week.rule_means if line["key"] == "fiber")["possible"] == 30


# ---------------------------------------------------------------- the admin


def test_the_admin_never_says_0_percent_and_done_together(
    admin_client, patient, fiber, django_capture_on_commit_callbacks
):
    """Publish, the rescore runs when the transaction commits, then the list the admin lands on."""
    MealItemFactory(patient=patient, food=FoodFactory(fiber_g_per_100g=10), grams=100, date=DAY)
    url = reverse(CHANGE_URL, args=[fiber.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, rule_post(fiber, weight=25, _publish="1"))
    assert response.status_code == 302
    page = admin_client.get(response.url).content.decode()
    assert "Every stored day has been rescored." in page
    assert "% done" not in page
    version = RuleSetVersion.objects.order_by("-number").first()
    assert (version.rescore_done, version.rescore_total) == (1, 1)


def test_progress_while_rescoring_reads_the_same_everywhere(admin_client, patient, fiber):
    version = RuleSetVersion.objects.order_by("-number").first()
    RuleSetVersion.objects.filter(pk=version.pk).update(rescore_total=3, rescore_done=0, rescore_finished_at=None)
    listing = admin_client.get(reverse("admin:guidance_rule_changelist")).content.decode()
    versions = admin_client.get(reverse("admin:guidance_rulesetversion_changelist")).content.decode()
    assert "0 of 3 patients (0%)" in listing and "0 of 3 patients (0%)" in versions
    assert "Every stored day has been rescored." not in listing
    RuleSetVersion.objects.filter(pk=version.pk).update(rescore_total=0, rescore_done=0, rescore_finished_at=None)
    listing = admin_client.get(reverse("admin:guidance_rule_changelist")).content.decode()
    assert "100%" not in listing  # nothing counted yet is not "done"


def test_the_change_page_has_typed_fields_and_shows_the_json_read_only(admin_client, fiber):
    page = admin_client.get(reverse(CHANGE_URL, args=[fiber.pk])).content.decode()
    assert re.search(r'<select name="param-measure"[^>]*>', page)
    assert re.search(r'<input type="number" name="param-target" value="25(\.0)?"', page)
    assert '<textarea name="params"' not in page
    assert "&quot;target&quot;: 25" in page  # the stored JSON, shown read-only


def test_typed_fields_save_the_parameters(admin_client, fiber, django_capture_on_commit_callbacks):
    url = reverse(CHANGE_URL, args=[fiber.pk])
    response = admin_client.post(url, rule_post(fiber, {"measure": "fiber_g", "target": "30"}, _continue="1"))
    assert response.status_code == 302
    fiber.refresh_from_db()
    assert fiber.params == {"measure": "fiber_g", "target": 30.0}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"measure": "fiber_g", "target": "-4"}, "param-target", "Ensure this value is greater than or equal to 0.1."),
        ({"measure": "gold", "target": "25"}, "param-measure", "Select a valid choice."),
        ({"measure": "fiber_g"}, "param-target", "This field is required."),
    ],
)
def test_typed_fields_show_their_errors_next_to_the_field(admin_client, fiber, params, field, message):
    response = admin_client.post(reverse(CHANGE_URL, args=[fiber.pk]), rule_post(fiber, params, _continue="1"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    fiber.refresh_from_db()
    assert fiber.params == {"measure": "fiber_g", "target": 25}


def test_cross_field_checks_still_apply(admin_client):
    sleep = Rule.objects.get(kind="regularity")
    params = {**sleep.params, "full_at": 60, "zero_at": 30}
    response = admin_client.post(reverse(CHANGE_URL, args=[sleep.pk]), rule_post(sleep, params, _continue="1"))
    assert response.status_code == 200
    assert "Must be above the full-points spread." in " ".join(
        response.context["adminform"].form.errors["param-zero_at"]
    )


def test_changing_the_kind_asks_for_the_new_kinds_parameters_without_saving(admin_client, fiber):
    url = reverse(CHANGE_URL, args=[fiber.pk])
    response = admin_client.post(url, rule_post(fiber, kind="rolling_count", _continue="1"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "fill in its parameters" in page
    assert 'name="param-window"' in page and 'name="param-op"' in page
    assert "This field is required." not in page
    fiber.refresh_from_db()
    assert fiber.kind == "target"
    filled = rule_post(
        fiber, {"measure": "fiber_g", "op": "at_least", "value": "150", "window": "7"}, kind="rolling_count"
    )
    filled["params_for"] = "rolling_count"
    filled["rationale_en"] = filled["rationale_fr"] = "At least {value} g over {window} days."
    assert admin_client.post(url, {**filled, "_continue": "1"}).status_code == 302
    fiber.refresh_from_db()
    assert (fiber.kind, fiber.params) == (
        "rolling_count",
        {"measure": "fiber_g", "op": "at_least", "value": 150.0, "window": 7},
    )


def test_the_add_page_takes_the_kind_from_the_address(admin_client):
    page = admin_client.get(reverse("admin:guidance_rule_add"), {"kind": "regularity"}).content.decode()
    assert 'name="param-full_at"' in page and 'name="param-zero_at"' in page


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Goal: {goal} g.", "Unknown placeholder {goal}"),
        ("Goal: {target g.", "brace"),
        ("Goal: {0} g.", "Unknown placeholder {0}"),
        ("Goal: {target.real} g.", "Unknown placeholder {target.real}"),
        ("Goal: {target!r} g.", "{target!r}"),
        ("Goal: {target:.1f} g.", "{target:.1f}"),
        ("Goal: {window} days.", "Unknown placeholder {window}"),  # not a parameter of this kind
    ],
)
def test_a_rationale_with_a_bad_placeholder_is_a_form_error_not_a_500(admin_client, fiber, text, message):
    url = reverse(CHANGE_URL, args=[fiber.pk])
    response = admin_client.post(url, rule_post(fiber, rationale_fr=text, _publish="1"))
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["rationale_fr"])
    assert message in errors
    assert "{target}" in errors and "{weight}" in errors  # the names this rule offers
    assert RuleSetVersion.objects.count() == 3


def test_saving_warns_when_a_rationale_still_writes_the_former_number(admin_client, db):
    """A text that says "25 g" in so many words (as version 1 did): changing the target warns, without blocking."""
    rule = Rule.objects.get(key="fiber")
    assert "{target} g" in rule.rationale_en  # the v2 text names its target through the placeholder
    rule.rationale_en, rule.rationale_fr = "Fiber: 25 g a day.", "Fibres : 25 g par jour."
    rule.save()
    url = reverse(CHANGE_URL, args=[rule.pk])
    response = admin_client.post(url, rule_post(rule, {"measure": "fiber_g", "target": "30"}, _continue="1"))
    assert response.status_code == 302
    page = admin_client.get(response.url).content.decode()
    assert "Rationale (English) still writes 25, the former value of {target}: write {target} instead." in page
    assert "Rationale (French) still writes 25" in page
    rule.refresh_from_db()
    assert rule.params["target"] == 30
    again = admin_client.post(url, rule_post(rule, _continue="1"))  # nothing changed: no warning
    assert "still writes" not in admin_client.get(again.url).content.decode()


def test_the_preview_shows_the_rationale_with_the_proposed_parameters(admin_client, fiber):
    url = reverse(CHANGE_URL, args=[fiber.pk])
    response = admin_client.post(url, rule_post(fiber, {"measure": "fiber_g", "target": "30"}, _preview="1"))
    page = response.content.decode()
    assert "Goal: 30 g a day." in page and "Objectif : 30 g par jour." in page


# ---------------------------------------------------------------- the formatter itself


@pytest.mark.parametrize(
    ("language", "text", "params", "weight", "expected"),
    [
        ("en", "{target} g", {"target": 30.0}, 20, "30 g"),
        ("fr", "{target} g", {"target": 30.0}, 20, "30 g"),
        ("en", "{target} g", {"target": 27.5}, 20, "27.5 g"),
        ("fr", "{target} g", {"target": 27.5}, 20, "27,5 g"),
        ("fr", "{target} g", {"target": 0.25}, 20, "0,25 g"),
        ("en", "{weight} of 100", {"target": 25}, 37.0, "37 of 100"),
        ("en", "{{target}} is {target}", {"target": 25}, 20, "{target} is 25"),
        ("en", "no placeholder", {"target": 25}, 20, "no placeholder"),
    ],
)
def test_rationale_text_formats_numbers_per_locale(language, text, params, weight, expected):
    spec = {"key": "x", "kind": "target", "params": {"measure": "fiber_g", **params}, "weight": weight}
    spec.update(rationale_en=text, rationale_fr=text)
    assert selectors.rationale_text(spec, language) == expected


def test_rationale_text_reads_choices_in_the_language():
    spec = {
        "key": "x",
        "kind": "daily_threshold",
        "params": {"measure": "fermented", "op": "at_least", "value": 1},
        "weight": 10,
        "rationale_en": "{op} {value}",
        "rationale_fr": "{op} {value}",
    }
    assert selectors.rationale_text(spec, "en") == "at least 1"
    assert selectors.rationale_text(spec, "fr") == "au moins 1"
    with translation.override("fr"):
        assert selectors.rationale_text(spec, "en") == "at least 1"  # the language asked for, not the active one


@pytest.mark.parametrize("text", ["{unknown} g", "{target g", "}", "{target.__class__}", "{0}"])
def test_rationale_text_never_fails_on_a_text_that_slipped_through(text):
    """A text written by a migration or an older version is shown as written, never a 500."""
    spec = {"key": "x", "kind": "target", "params": {"measure": "fiber_g", "target": 25}, "weight": 20}
    spec.update(rationale_en=text, rationale_fr=text)
    assert selectors.rationale_text(spec, "en") == text


def test_every_published_rationale_formats_cleanly(db):
    """The texts the migrations publish use only placeholders their rule offers."""
    version = selectors.current_version()
    for spec in selectors.version_specs(version):
        for field in ("rationale_en", "rationale_fr"):
            assert selectors.rationale_problems(spec.get(field, ""), spec) == [], (spec["key"], field)
