"""Print the current two-factor code of the demo clinician and admin (demo key only)."""

from typing import Any

from django.core.management.base import BaseCommand

from accounts.demo import current_demo_code


class Command(BaseCommand):
    help = "Print the current 6-digit code for the published demo TOTP key (changes every 30 seconds)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(current_demo_code())
