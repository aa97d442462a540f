from django.urls import reverse

from accounts.models import Role, User


def test_it_creates_a_patient_and_signs_them_in(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "New.Person@Example.org",
            "password1": "a long passphrase for my health log",
            "password2": "a long passphrase for my health log",
            "time_zone": "Europe/Paris",
            "language": "fr",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.org")
    assert user.role == Role.PATIENT
    assert not user.is_staff
    assert user.profile.language == "fr"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_it_ignores_a_posted_role(client, db):
    client.post(
        reverse("accounts:signup"),
        {
            "email": "sneaky@example.org",
            "password1": "a long passphrase for my health log",
            "password2": "a long passphrase for my health log",
            "time_zone": "Europe/Paris",
            "language": "en",
            "role": "admin",
            "is_staff": "on",
        },
    )
    user = User.objects.get(email="sneaky@example.org")
    assert user.role == Role.PATIENT
    assert not user.is_staff


def test_it_keeps_what_was_typed_when_passwords_differ(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "kept@example.org",
            "password1": "one long passphrase",
            "password2": "another one",
            "time_zone": "UTC",
            "language": "en",
        },
    )
    assert response.status_code == 200
    assert b"kept@example.org" in response.content
    assert b"The two passwords differ" in response.content
    assert not User.objects.filter(email="kept@example.org").exists()
