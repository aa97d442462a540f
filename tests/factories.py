"""Shared factories: the three kinds of user every test needs."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import Profile, Role, User

PASSWORD = "correct horse battery staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    display_name = factory.Sequence(lambda n: f"User {n}")
    role = Role.PATIENT
    password = factory.django.Password(PASSWORD)
    profile = factory.RelatedFactory("tests.factories.ProfileFactory", factory_related_name="user")


class ProfileFactory(DjangoModelFactory):
    class Meta:
        model = Profile

    time_zone = "Europe/Paris"
    language = "en"


class PatientFactory(UserFactory):
    role = Role.PATIENT


class ClinicianFactory(UserFactory):
    role = Role.CLINICIAN
    email = factory.Sequence(lambda n: f"clinician{n}@example.org")


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True
    email = factory.Sequence(lambda n: f"admin{n}@example.org")
