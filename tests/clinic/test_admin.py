from django.urls import reverse

from tests.conftest import verified_login


def test_admins_see_consent_wordings_but_no_patient_data_pages(client, admin_user, wording):
    verified_login(client, admin_user)
    response = client.get(reverse("admin:clinic_consentwording_changelist"))
    assert response.status_code == 200
    change = client.get(reverse("admin:clinic_consentwording_change", args=[wording.pk]))
    assert change.status_code == 200
    assert b'name="text_en"' not in change.content  # a published wording is frozen
    index = client.get(reverse("admin:index")).content.decode()
    assert "accessgrant" not in index.lower()
    assert "cliniciannote" not in index.lower()
