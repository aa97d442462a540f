import base64
import os
import time
import zoneinfo
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from accounts.crypto import decrypt, encrypt

if TYPE_CHECKING:
    from django.contrib.sessions.backends.base import SessionBase

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    CLINICIAN = "clinician", _("Clinician")
    ADMIN = "admin", _("Administrator")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("role", Role.PATIENT)
        extra.setdefault("is_staff", extra["role"] == Role.ADMIN)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        # Emails are stored lower-case; sign-in ignores case.
        return self.get(email__iexact=username or "")


class User(AbstractUser):  # type: ignore[django-manager-missing]  # the OTP devices (django-otp Device)
    """A person who signs in by email. The role decides what they may see."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("name"), max_length=120, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.PATIENT)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering: ClassVar = ["email"]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN

    def home_url(self) -> str:
        if self.is_clinician:
            return reverse("clinic:dashboard")
        if self.is_admin_role:
            return reverse("admin:index")
        return reverse("tracker:today")


class MSCourse(models.TextChoices):
    CIS = "cis", _("Clinically isolated syndrome (CIS)")
    RR = "rr", _("Relapsing-remitting")
    SP = "sp", _("Secondary progressive")
    PP = "pp", _("Primary progressive")


class Profile(models.Model):
    """Preferences of every user; the MS fields are filled by patients only."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Paris")
    language = models.CharField(
        _("language"), max_length=8, choices=[("en", "English"), ("fr", "Français")], default="en"
    )
    ms_course = models.CharField(_("MS course"), max_length=8, choices=MSCourse.choices, blank=True)
    diagnosis_year = models.PositiveSmallIntegerField(_("year of diagnosis"), null=True, blank=True)
    # Sections of the day page the patient chose not to track (tracker.views.common.DAY_PAGE_SECTIONS):
    # left out of the page entirely, and out of the queries that build it.
    hidden_sections = models.JSONField(_("sections not tracked"), default=list, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"


class UserSession(AbstractBaseSession):
    """A signed-in session in the database, with whose it is and on what device.

    Django's session table cannot say which sessions belong to a person without decoding every row;
    this one can, so people see and end their own sessions and admins can end someone's. The rows
    are written by `accounts.sessions.SessionStore` (SESSION_ENGINE); the columns repeat what the
    session data says at each save.
    """

    # Indexed by (user, expire_date) below, which serves lookups by user alone.
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions", db_index=False
    )
    user_agent = models.CharField(max_length=300, blank=True)
    signed_in_at = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = (models.Index(fields=["user", "expire_date"]),)

    @classmethod
    def get_session_store_class(cls) -> type["SessionBase"]:
        from accounts.sessions import SessionStore  # noqa: PLC0415 - accounts.sessions imports this module

        return SessionStore


class Authenticator(TimestampMixin, ThrottlingMixin, Device):  # type: ignore[misc]  # django-otp is untyped
    """A TOTP authenticator app (RFC 6238), its key encrypted at rest (accounts.crypto).

    The same fields and checks as django-otp's TOTPDevice, whose key column holds the key in
    clear: a code works once (last_t), wrong codes slow further tries (ThrottlingMixin).
    """

    encrypted_key = models.TextField()
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):  # type: ignore[misc]
        verbose_name = _("authenticator app")

    @classmethod
    def new(cls, *, user: User, confirmed: bool = False, key: bytes | None = None) -> "Authenticator":
        """A device with a fresh 160-bit key from the system's CSPRNG (or the given one), saved."""
        secret = key if key is not None else os.urandom(20)
        device: Authenticator = cls.objects.create(
            user=user, name="authenticator", confirmed=confirmed, encrypted_key=encrypt(secret)
        )
        return device

    @property
    def bin_key(self) -> bytes:
        return decrypt(self.encrypted_key)

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    def verify_token(self, token: Any) -> bool:
        allowed, _detail = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            value = int(token)
        except (TypeError, ValueError):
            value = None
        verified = False
        if value is not None:
            totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            totp.time = time.time()
            verified = bool(totp.verify(value, self.tolerance, self.last_t + 1))
            if verified:
                self.last_t = totp.t()
                self.drift = totp.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    @property
    def config_url(self) -> str:
        """The otpauth:// URL an authenticator app reads from the QR code."""
        issuer = str(getattr(settings, "OTP_TOTP_ISSUER", "msgut")).replace(":", "")
        label = quote(f"{issuer}:{self.user.get_username()}")
        params = urlencode(
            {
                "secret": base64.b32encode(self.bin_key).decode(),
                "algorithm": "SHA1",
                "digits": self.digits,
                "period": self.step,
            }
        )
        return f"otpauth://totp/{label}?{params}&issuer={quote(issuer)}"


class BackupCodes(TimestampMixin, ThrottlingMixin, Device):  # type: ignore[misc]  # django-otp is untyped
    """A person's single-use backup codes, each stored only as a salted password hash."""

    class Meta(Device.Meta):  # type: ignore[misc]
        verbose_name = _("backup codes")

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1))

    def verify_token(self, token: Any) -> bool:
        allowed, _detail = self.verify_is_allowed()
        if not allowed:
            return False
        candidate = str(token)
        match = next((code for code in self.codes.all() if check_password(candidate, code.hashed)), None)
        if match is None:
            self.throttle_increment(commit=True)
            return False
        match.delete()
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True


class BackupCode(models.Model):
    """One backup code: its hash (Argon2 with a random salt), never the code."""

    device = models.ForeignKey(BackupCodes, on_delete=models.CASCADE, related_name="codes")
    hashed = models.CharField(max_length=256)

    def __str__(self) -> str:
        return f"backup code {self.pk}"
