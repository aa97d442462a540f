"""Create the demo accounts and their data. Safe to run again."""

import base64
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_TOTP_KEY, ensure_demo_device
from accounts.models import Role, User
from accounts.services import register_user
from clinic import demo as clinic_demo
from guidance import demo as guidance_demo
from tracker import demo as tracker_demo
from trends import demo as trends_demo

DEMO_PASSWORD = "msgut-demo-2026"  # noqa: S105 - documented demo login
DEMO_ACCOUNTS = [
    ("patient@demo.msgut", Role.PATIENT, "Camille (demo patient)"),
    ("clinician@demo.msgut", Role.CLINICIAN, "Dr Martin (demo clinician)"),
    ("admin@demo.msgut", Role.ADMIN, "Alex (demo admin)"),
]


def ensure_demo_user(email: str, role: str, name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = register_user(email=email, password=DEMO_PASSWORD, role=role, display_name=name)
    if role == Role.ADMIN and not (user.is_staff and user.is_superuser):
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user


class Command(BaseCommand):
    help = "Create the demo accounts (patient, clinician, admin) and their demo data."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        users: dict[str, User] = {str(role): ensure_demo_user(email, role, name) for email, role, name in DEMO_ACCOUNTS}
        # Each feature adds its demo data, in dependency order.
        tracker_demo.load(users, self.stdout)
        guidance_demo.load(users, self.stdout)
        trends_demo.load(users, self.stdout)
        clinic_demo.load(users, self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for email, role, _name in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role:<10} {email}")
        devices = [ensure_demo_device(users[str(role)]) for role in (Role.CLINICIAN, Role.ADMIN)]
        secret = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()
        self.stdout.write(
            self.style.SUCCESS(
                "Clinician and admin sign-in also asks for a two-factor code (demo key, never for real use):"
            )
        )
        self.stdout.write(f"  key (base32): {secret}")
        for device in devices:
            self.stdout.write(f"  {device.config_url}")
        self.stdout.write(
            "  Add it to an authenticator app, or print the current code with: python manage.py demo_code"
        )
