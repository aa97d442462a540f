"""The accounts a load run signs in with, printed as one line of JSON (run by bench.loadtest.prepare).

    python -m bench.load_accounts --patients 60 --clinicians 8 --admins 2

Runs in its own process against the environment's DATABASE_URL, after `generate_data`:
gives the first generated patients a known password, makes clinicians and admins with a
confirmed TOTP device of known key, grants every clinician access to those patients, and
lists food ids and search terms for the locust users.
"""

import argparse
import json
import os
from typing import Any

from bench.common import setup_django
from bench.loadtest import PASSWORD

SEARCH_TERMS = ["apple", "pomme", "yog", "lentil", "olive", "pain", "salmon", "creme"]


def staff(prefix: str, role: str, n: int) -> list[dict[str, Any]]:
    from accounts.models import Authenticator, Role, User
    from accounts.services import register_user

    out = []
    for i in range(n):
        email = f"{prefix}{i}@load.msgut"
        user = User.objects.filter(email=email).first() or register_user(email=email, password=PASSWORD, role=role)
        if role == Role.ADMIN:
            User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
        key = f"{i:02d}".encode().hex() * 10
        if not Authenticator.objects.filter(user=user, confirmed=True).exists():
            Authenticator.new(user=user, confirmed=True, key=bytes.fromhex(key))
        out.append({"id": user.pk, "email": email, "password": PASSWORD, "totp_key": key})
    return out


def accounts(patients_n: int, clinicians_n: int, admins_n: int) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password

    from accounts.models import Role, User
    from clinic.models import ConsentWording
    from clinic.services import grant_access
    from tracker.management.commands.generate_data import GENERATED_DOMAIN
    from tracker.models import Food

    patients = list(User.objects.filter(role=Role.PATIENT, email__endswith=f"@{GENERATED_DOMAIN}").order_by("id"))
    patients = patients[:patients_n]
    User.objects.filter(pk__in=[p.pk for p in patients]).update(password=make_password(PASSWORD))
    wording = ConsentWording.current()
    clinicians = staff("clinician", Role.CLINICIAN, clinicians_n)
    for c in clinicians:
        doctor = User.objects.get(pk=c["id"])
        for p in patients:
            grant_access(patient=p, clinician=doctor, wording=wording)
    return {
        "patients": [{"id": p.pk, "email": p.email, "password": PASSWORD} for p in patients],
        "clinicians": clinicians,
        "admins": staff("admin", Role.ADMIN, admins_n),
        "food_ids": list(Food.objects.filter(owner__isnull=True).order_by("id").values_list("id", flat=True)[:200]),
        "search_terms": SEARCH_TERMS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, required=True)
    parser.add_argument("--clinicians", type=int, required=True)
    parser.add_argument("--admins", type=int, required=True)
    args = parser.parse_args()
    setup_django(os.environ["DATABASE_URL"], redis_url=os.environ.get("REDIS_URL"), create=False)
    print(json.dumps(accounts(args.patients, args.clinicians, args.admins)))


if __name__ == "__main__":
    main()
