import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guidance import rules
from guidance.models import DayScore, Rule, RuleSetVersion
from tests.guidance.admin_forms import rule_post
from tests.guidance.factories import FoodFactory, MealItemFactory

CHANGE_URL = "admin:guidance_rule_change"


@pytest.fixture
def fiber(db):
    return Rule.objects.get(key="fiber")


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("target", {"measure": "fiber_g"}, "target: This field is required."),
        ("target", {"measure": "gold", "target": 25}, "measure: Select a valid choice."),
        ("target", {"measure": "fiber_g", "target": 25, "goal": 3}, "Unknown parameter “goal” for this kind."),
        ("target", {"measure": "fiber_g", "target": 0}, "target: Ensure this value is greater than or equal to 0.1."),
        (
            "rolling_count",
            {"measure": "legume", "op": "at_least", "value": 3, "window": 40},
            "window: Ensure this value is less than or equal to 28.",
        ),
        ("daily_threshold", {"measure": "fermented", "op": "more", "value": 1}, "op: Select a valid choice."),
        (
            "regularity",
            {"measure": "mid_sleep_minutes", "min_days": 3, "full_at": 60, "zero_at": 30},
            "zero_at: Must be above the full-points spread.",
        ),
        (
            "preference",
            {"prefer": "white_meat", "over": "white_meat"},
            "The preferred measure and the other one must differ.",
        ),
        ("medas", {"items": ["fruit_3", "wine"]}, "items: Select a valid choice."),
    ],
)
def test_it_explains_bad_parameters_per_kind(kind, params, message):
    cleaned, errors = rules.validate_params(kind, params)
    assert cleaned == {}
    assert any(message in error for error in errors), errors


def test_it_cleans_good_parameters():
    cleaned, errors = rules.validate_params("medas", {"items": ["sofrito_2", "fruit_3"], "window": 7})
    assert errors == []
    assert cleaned == {"items": ["fruit_3", "sofrito_2"], "window": 7}


def test_the_admin_shows_parameter_errors_on_the_form(admin_client, fiber):
    url = reverse(CHANGE_URL, args=[fiber.pk])
    response = admin_client.post(url, rule_post(fiber, {"measure": "fiber_g", "target": -4}))
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0.1." in response.content.decode()
    fiber.refresh_from_db()
    assert fiber.params == {"measure": "fiber_g", "target": 25}


def test_the_preview_scores_the_sample_weeks_without_saving(admin_client, fiber):
    url = reverse(CHANGE_URL, args=[fiber.pk])
    response = admin_client.post(url, rule_post(fiber, {"measure": "fiber_g", "target": 50}, _preview="1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview: how this change would score the sample weeks" in html
    assert "Mediterranean week" in html and "Processed-food week" in html
    assert "20 / 20" in html  # 27 g of fiber under the 25 g target ...
    assert "10.8 / 20" in html  # ... and under a 50 g target
    fiber.refresh_from_db()
    assert fiber.params["target"] == 25
    assert RuleSetVersion.objects.count() == 2  # v1 and the v2 of migration 0006


def test_save_and_publish_makes_a_new_version_and_rescores(
    admin_client, fiber, patient, django_capture_on_commit_callbacks
):
    MealItemFactory(patient=patient, food=FoodFactory(fiber_g_per_100g=10), grams=100, date="2026-03-02")
    url = reverse(CHANGE_URL, args=[fiber.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, rule_post(fiber, weight=30, _publish="1"))
    assert response.status_code == 302
    version = RuleSetVersion.objects.order_by("-number").first()
    assert version.number == 3
    assert next(r for r in version.rules if r["key"] == "fiber")["weight"] == 30
    score = DayScore.objects.get(patient=patient)
    assert score.version == version
    assert next(line for line in score.breakdown if line["key"] == "fiber")["possible"] == 30


def test_saving_without_publishing_keeps_the_published_version(admin_client, fiber):
    response = admin_client.post(reverse(CHANGE_URL, args=[fiber.pk]), rule_post(fiber, weight=25, _continue="1"))
    assert response.status_code == 302
    assert RuleSetVersion.objects.count() == 2  # v1 and the v2 of migration 0006
    listing = admin_client.get(reverse("admin:guidance_rule_changelist"))
    assert "There are unpublished changes" in listing.content.decode()


def test_the_publish_page_publishes_on_post_only(admin_client, django_capture_on_commit_callbacks):
    url = reverse("admin:guidance_rule_publish")
    assert admin_client.get(url).status_code == 200
    assert RuleSetVersion.objects.count() == 2  # v1 and the v2 of migration 0006
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"note": "same rules, fresh scores"})
    assert response.status_code == 302
    version = RuleSetVersion.objects.order_by("-number").first()
    assert (version.number, version.note) == (3, "same rules, fresh scores")
    versions = admin_client.get(reverse("admin:guidance_rulesetversion_changelist")).content.decode()
    assert "Done (" in versions


def test_versions_are_read_only(admin_client):
    version = RuleSetVersion.objects.order_by("-number").first()
    response = admin_client.post(reverse("admin:guidance_rulesetversion_change", args=[version.pk]), {"note": "x"})
    assert response.status_code == 403
    assert admin_client.get(reverse("admin:guidance_rulesetversion_delete", args=[version.pk])).status_code == 403


def test_clinicians_and_patients_cannot_reach_the_rule_admin(clinician_client, patient_client, fiber):
    url = reverse(CHANGE_URL, args=[fiber.pk])
    # Signed in without admin rights: the plain "Not allowed" page (no sign-in redirect loop).
    assert clinician_client.get(url).status_code == 403
    assert patient_client.get(url).status_code == 403
    assert patient_client.post(reverse("admin:guidance_rule_publish")).status_code == 403
    assert RuleSetVersion.objects.count() == 2  # v1 and the v2 of migration 0006


def test_the_rule_list_reads_the_published_rule_set_once_and_counts_the_rules_once(admin_client, fiber):
    admin_client.get(reverse("admin:guidance_rule_changelist"))
    with CaptureQueriesContext(connection) as queries:
        listing = admin_client.get(reverse("admin:guidance_rule_changelist"))
    assert "There are unpublished changes" not in listing.content.decode()
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "guidance_rulesetversion"' in s for s in sql) == 1
    assert sum('SELECT COUNT(*) AS "__count" FROM "guidance_rule"' in s for s in sql) == 1
