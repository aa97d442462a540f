from django.urls import reverse

from guidance import services
from guidance.models import Rule


def test_it_shows_a_rule_rationale_with_its_source(patient_client):
    response = patient_client.get(reverse("guidance:rule", args=["fermented"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Fermented foods" in html
    assert "yogurt, kefir, kimchi or sauerkraut" in html
    # The article as a person can find it: outlet, title, date and section; never a file name.
    assert "IGEA, “What’s the Link Between Gut Health and Multiple Sclerosis?” (2 July 2025)" in html  # noqa: RUF001
    assert "Can Improving Gut Health Help Manage MS?" in html
    assert ".txt" not in html
    assert "does not replace it" in html


def test_it_shows_the_rationale_in_french(patient_client):
    patient_client.post(reverse("accounts:language"), {"language": "fr", "next": "/"})
    html = patient_client.get(reverse("guidance:rule", args=["fermented"])).content.decode()
    assert "Aliments fermentés" in html
    assert "choucroute" in html


def test_it_escapes_rationales(patient_client, admin_user):
    Rule.objects.filter(key="fiber").update(rationale_en='<script>alert(1)</script>"><img src=x onerror=alert(2)>')
    Rule.objects.filter(key="fiber").update(active=False)  # unpublished rules still resolve by key
    services.publish(user=admin_user)
    html = patient_client.get(reverse("guidance:rule", args=["fiber"])).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_an_unknown_rule_is_a_404(patient_client):
    assert patient_client.get(reverse("guidance:rule", args=["no-such-rule"])).status_code == 404


def test_the_rule_list_shows_every_published_rule(patient_client):
    html = patient_client.get(reverse("guidance:rules")).content.decode()
    for title in ("Mediterranean pattern (MEDAS)", "Fiber", "Regular sleep", "Limited alcohol"):
        assert title in html
    assert "Rule set v2" in html


def test_the_rule_pages_need_a_login(client, db):
    assert client.get(reverse("guidance:rules")).status_code == 302
