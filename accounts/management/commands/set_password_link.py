"""Print a one-time set-password link for an account, for an operator with shell access.

For deployments with EMAIL_DISABLED=1, where the link cannot be emailed: hand it to the person
yourself. It works once, for PASSWORD_RESET_TIMEOUT (three days by default).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services import set_password_link


class Command(BaseCommand):
    help = "Print a one-time link with which this account's owner chooses their password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"], is_active=True).first()
        if user is None:
            raise CommandError("No active account has this email.")
        self.stdout.write(set_password_link(user=user))
