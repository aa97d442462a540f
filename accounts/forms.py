from collections.abc import Iterator
from typing import Any, ClassVar, cast

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import twofactor
from accounts.models import TIME_ZONE_CHOICES, MSCourse, Profile, User
from accounts.throttling import check_password
from accounts.twofactor import TOTP_DIGITS

# The first diagnosis year a patient can enter; MRI-era diagnoses start well after it.
EARLIEST_DIAGNOSIS_YEAR = 1950

LANGUAGE_CHOICES = [("en", "English"), ("fr", "Français")]


class CleanTextMixin:
    """NUL bytes and other control characters become a form error, never a 500."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, _("This text contains a character that is not allowed."))  # type: ignore[attr-defined]
        return cleaned


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    # Django's forms replace error_messages per class and only read it; django-stubs declares it an
    # instance attribute, so it cannot be marked ClassVar.
    error_messages = {  # noqa: RUF012
        "invalid_login": _("That email and password do not match an account. Check both and try again."),
        "inactive": _("This account is inactive."),
    }


class SignupForm(CleanTextMixin, forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    display_name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters. A long passphrase is best."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    # Filled from the browser (static/js/signup.js: Intl time zone, navigator.language); anything
    # missing or unknown falls back to the server's defaults. Both can be changed in Settings.
    time_zone = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    language = forms.CharField(required=False, max_length=35, widget=forms.HiddenInput)
    privacy = forms.BooleanField(
        label=_("I have read the privacy notice and agree that msgut stores the health data I log."),
        error_messages={"required": _("Tick the box to agree to the privacy notice, or read it first.")},
    )

    def __init__(self, *args: Any, default_language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_language = default_language

    def clean_time_zone(self) -> str:
        zone: str = self.cleaned_data.get("time_zone") or ""
        known = {value for value, _label in TIME_ZONE_CHOICES}
        return zone if zone in known else settings.TIME_ZONE

    def clean_language(self) -> str:
        tag: str = (self.cleaned_data.get("language") or "").lower()
        codes = {code for code, _label in LANGUAGE_CHOICES}
        primary = tag.split("-", maxsplit=1)[0]
        return primary if primary in codes else self.default_language

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists. Sign in or reset the password."))
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            candidate = User(email=cleaned.get("email", ""), display_name=cleaned.get("display_name", ""))
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


# The day page's sections a patient may choose to track (keys used by tracker.views.common).
DAY_SECTION_CHOICES = [
    ("fatigue", _("Fatigue")),
    ("sleep", _("Sleep")),
    ("meals", _("Meals")),
    ("symptoms", _("Symptoms and digestion")),
    ("lifestyle", _("Lifestyle and supplements")),
]


class ProfileForm(CleanTextMixin, forms.ModelForm[Profile]):
    display_name = forms.CharField(label=_("Your name"), max_length=120, required=False)

    class Meta:
        model = Profile
        fields: ClassVar = ["time_zone", "language", "ms_course", "diagnosis_year"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["diagnosis_year"].widget.attrs.update(
            {"min": EARLIEST_DIAGNOSIS_YEAR, "max": 2100, "inputmode": "numeric"}
        )
        user = self.instance.user
        self.fields["display_name"].initial = user.display_name
        self.order_fields(["display_name", "language", "time_zone", "ms_course", "diagnosis_year"])
        if user.is_patient:
            self.fields["sections"] = forms.MultipleChoiceField(
                label=_("What I track on my Today page"),
                choices=[(key, label) for key, label in DAY_SECTION_CHOICES],
                widget=forms.CheckboxSelectMultiple,
                initial=[
                    key for key, _label in DAY_SECTION_CHOICES if key not in (self.instance.hidden_sections or [])
                ],
                help_text=_("Sections you untick are left out of the page. Your past entries are kept."),
                error_messages={"required": _("Keep at least one section.")},
            )
            ms_course = cast(forms.ChoiceField, self.fields["ms_course"])  # a model field with choices
            ms_course.choices = [("", _("Not set")), *MSCourse.choices]
            self.fields["ms_course"].help_text = _("Optional. Only you and the clinicians you share with see it.")
        else:
            del self.fields["ms_course"]
            del self.fields["diagnosis_year"]

    def save(self, commit: bool = True) -> Profile:
        if "sections" in self.cleaned_data:
            chosen = set(self.cleaned_data["sections"])
            self.instance.hidden_sections = [key for key, _label in DAY_SECTION_CHOICES if key not in chosen]
        return super().save(commit=commit)

    def clean_diagnosis_year(self) -> int | None:
        year: int | None = self.cleaned_data.get("diagnosis_year")
        if year is not None and not EARLIEST_DIAGNOSIS_YEAR <= year <= timezone.now().year:
            raise forms.ValidationError(_("Enter a year between 1950 and this year."))
        return year


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES)
    next = forms.CharField(required=False, max_length=500)


class OTPCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autofocus": True,
                "spellcheck": "false",
                "autocapitalize": "none",
                "class": "otp-input",
            }
        ),
    )
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if "\x00" in code:
            raise forms.ValidationError(_("This text contains a character that is not allowed."))
        return code


class EnrolCodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from the app"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false", "class": "otp-input"}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == TOTP_DIGITS):
            raise forms.ValidationError(_("Enter the 6 digits your app shows, without letters."))
        return code


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """Django's form, with the old password checked like a sign-in (accounts.throttling)."""

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        if not check_password(self.request, self.user, old_password):
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


class ResetForm(PasswordResetForm):
    """The reset request also reaches accounts made by an admin whose owner has not chosen a password yet
    (their set-password link may have expired): here an unusable password means "not set yet"."""

    def get_users(self, email: str) -> Iterator[User]:
        return iter(User.objects.filter(email__iexact=email, is_active=True))


class ReauthForm(forms.Form):
    """Confirm who you are before changing how you sign in: the password, and the code if two-factor is on."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    code = forms.CharField(
        label=_("Code from your authenticator app, or a backup code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "spellcheck": "false",
                "autocapitalize": "none",
                "class": "otp-input",
            }
        ),
    )
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def __init__(self, *args: Any, request: HttpRequest, user: User, with_code: bool, **kwargs: Any) -> None:
        self.request, self.user = request, user
        super().__init__(*args, **kwargs)
        if not with_code:
            del self.fields["code"]

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not check_password(self.request, self.user, password):
            raise forms.ValidationError(_("This password is not right."))
        return password

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if "\x00" in code:
            raise forms.ValidationError(_("This text contains a character that is not allowed."))
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The code is used up only once the password is right.
        wants_code = "code" in self.fields and "password" in cleaned and "code" in cleaned
        if wants_code and twofactor.check_code(self.user, cleaned["code"]) is None:
            self.add_error("code", _("That code did not work. Type the newest code from your app."))
        return cleaned


class SessionEndForm(forms.Form):
    session = forms.CharField(max_length=64)
