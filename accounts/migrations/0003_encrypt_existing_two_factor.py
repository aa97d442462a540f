"""Move existing two-factor devices out of django-otp's plugin tables, which kept them in clear.

Authenticator keys (otp_totp_totpdevice.key, hex) are encrypted with TWO_FACTOR_KEYS into
accounts.Authenticator; backup codes (otp_static_statictoken.token) are stored as password hashes
in accounts.BackupCode. The old rows are then deleted. The plugin apps are no longer installed, so
their tables are read with SQL when they exist (a fresh database never had them).
"""

from django.contrib.auth.hashers import make_password
from django.db import migrations

from accounts.crypto import encrypt

TOTP_COLUMNS = "id, user_id, name, confirmed, key, step, t0, digits, tolerance, drift, last_t"


def move_devices(apps, schema_editor):
    connection = schema_editor.connection
    tables = set(connection.introspection.table_names())
    Authenticator = apps.get_model("accounts", "Authenticator")
    BackupCodes = apps.get_model("accounts", "BackupCodes")
    BackupCode = apps.get_model("accounts", "BackupCode")
    with connection.cursor() as cursor:
        if "otp_totp_totpdevice" in tables:
            cursor.execute(f"SELECT {TOTP_COLUMNS} FROM otp_totp_totpdevice")
            for _id, user_id, name, confirmed, key, step, t0, digits, tolerance, drift, last_t in cursor.fetchall():
                Authenticator.objects.create(
                    user_id=user_id,
                    name=name or "authenticator",
                    confirmed=confirmed,
                    encrypted_key=encrypt(bytes.fromhex(key)),
                    step=step,
                    t0=t0,
                    digits=digits,
                    tolerance=tolerance,
                    drift=drift,
                    last_t=last_t,
                )
            cursor.execute("DELETE FROM otp_totp_totpdevice")
        if "otp_static_staticdevice" in tables and "otp_static_statictoken" in tables:
            cursor.execute("SELECT id, user_id, name, confirmed FROM otp_static_staticdevice")
            for device_id, user_id, name, confirmed in cursor.fetchall():
                device = BackupCodes.objects.create(user_id=user_id, name=name or "backup codes", confirmed=confirmed)
                cursor.execute("SELECT token FROM otp_static_statictoken WHERE device_id = %s", [device_id])
                codes = [row[0] for row in cursor.fetchall()]
                BackupCode.objects.bulk_create([BackupCode(device=device, hashed=make_password(c)) for c in codes])
            cursor.execute("DELETE FROM otp_static_statictoken")
            cursor.execute("DELETE FROM otp_static_staticdevice")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_two_factor_sessions")]

    operations = [migrations.RunPython(move_devices, migrations.RunPython.noop)]
