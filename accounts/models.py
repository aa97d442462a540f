import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

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


class User(AbstractUser):
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

    def __str__(self) -> str:
        return f"profile of {self.user}"
