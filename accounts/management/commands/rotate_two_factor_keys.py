"""Re-encrypt every authenticator key with the first of TWO_FACTOR_KEYS.

Key rotation: put the new key first in TWO_FACTOR_KEYS (keep the old one after it), deploy, run
this command, then remove the old key. Safe to run again: rows already under the first key are
rewritten under it.
"""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.crypto import reencrypt
from accounts.models import Authenticator


class Command(BaseCommand):
    help = "Re-encrypt authenticator keys with the first key of TWO_FACTOR_KEYS (after adding a new key)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for device in Authenticator.objects.select_for_update().only("pk", "encrypted_key"):
                device.encrypted_key = reencrypt(device.encrypted_key)
                device.save(update_fields=["encrypted_key"])
                count += 1
        self.stdout.write(f"Re-encrypted {count} authenticator key(s) with the first key of TWO_FACTOR_KEYS.")
