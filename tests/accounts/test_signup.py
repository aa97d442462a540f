from django.urls import reverse

from accounts.models import Role, User


def test_it_creates_a_patient_and_signs_them_in(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "New.Person@Example.org",
            "password1": "a long passphrase for my health log",
            "password2": "a long passphrase for my health log",
            "privacy": "on",
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
            "privacy": "on",
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
            "privacy": "on",
            "time_zone": "UTC",
            "language": "en",
        },
    )
    assert response.status_code == 200
    assert b"kept@example.org" in response.content
    assert b"The two passwords differ" in response.content
    assert not User.objects.filter(email="kept@example.org").exists()


def test_it_asks_for_the_privacy_notice_and_takes_time_zone_and_language_from_the_browser(client, db):
    form = {
        "email": "ny@example.org",
        "password1": "a long passphrase for my log",
        "password2": "a long passphrase for my log",
    }
    page = client.get(reverse("accounts:signup")).content.decode()
    assert 'href="/privacy/"' in page and 'name="privacy"' in page and 'type="hidden" name="time_zone"' in page
    refused = client.post(reverse("accounts:signup"), {**form, "time_zone": "America/New_York", "language": "en-US"})
    assert "Tick the box to agree to the privacy notice" in refused.content.decode()
    assert not User.objects.filter(email="ny@example.org").exists()
    client.post(
        reverse("accounts:signup"), {**form, "privacy": "on", "time_zone": "America/New_York", "language": "fr-CA"}
    )
    profile = User.objects.get(email="ny@example.org").profile
    assert (profile.time_zone, profile.language) == ("America/New_York", "fr")


def test_an_unknown_browser_time_zone_falls_back_to_the_servers(client, db, settings):
    client.post(
        reverse("accounts:signup"),
        {
            "email": "mars@example.org",
            "password1": "a long passphrase for my log",
            "password2": "a long passphrase for my log",
            "privacy": "on",
            "time_zone": "Mars/Olympus_Mons",
            "language": "tlh",
        },
    )
    profile = User.objects.get(email="mars@example.org").profile
    assert (profile.time_zone, profile.language) == (settings.TIME_ZONE, "en")


def test_a_visitor_reads_what_msgut_is_before_signing_in(client, db):
    html = client.get("/").content.decode()
    for words in ("multiple sclerosis", "does not replace medical care", "privacy notice", "Create an account"):
        assert words in html
    assert "What is stored" in client.get(reverse("privacy")).content.decode()
