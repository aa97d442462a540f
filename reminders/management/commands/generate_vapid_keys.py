"""Print a new VAPID key pair for Web Push reminders, as the environment variables to set.

Changing the keys later makes every browser subscription invalid: each device has to allow
notifications again (the reminders page does that when it is opened).
"""

from typing import Any

from django.core.management.base import BaseCommand

from reminders.push import new_vapid_keys


class Command(BaseCommand):
    help = "Print a new VAPID key pair (VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY) for Web Push reminders."

    def handle(self, *args: Any, **options: Any) -> None:
        public, private = new_vapid_keys()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
        self.stdout.write("# and a contact for the push services, e.g. VAPID_SUBJECT=mailto:ops@example.org")
