from datetime import date, timedelta
from typing import Any, ClassVar

from django import forms
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.throttling import check_password
from clinic.dashboard import FLAG_LABELS, SORTS
from clinic.models import ClinicianNote, RelapseReview
from clinic.selectors import clinician_for_code
from msgut.dates import not_after_today, not_before_earliest

DEFAULT_RANGE_DAYS = 84  # 12 weeks: a clinic visit's usual look-back
MAX_RANGE_DAYS = 3 * 366


class InviteCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Your clinician's invite code"),
        max_length=20,
        help_text=_("8 letters and digits, for example ABCD-2345. Your clinician sees it on their page."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        self.clinician = clinician_for_code(code)
        if self.clinician is None:
            raise forms.ValidationError(
                _("No clinician has this code. Check it with your clinician; codes can change.")
            )
        return code


class ConsentForm(InviteCodeForm):
    wording_version = forms.IntegerField(widget=forms.HiddenInput)
    agree = forms.BooleanField(label=_("I have read this and I agree to share my data with this clinician."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget = forms.HiddenInput()


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Patient's email address"), max_length=254)


class InvitationConsentForm(forms.Form):
    wording_version = forms.IntegerField(widget=forms.HiddenInput)
    agree = forms.BooleanField(label=_("I have read this and I agree to share my data with this clinician."))


class NoteForm(forms.ModelForm[ClinicianNote]):
    class Meta:
        model = ClinicianNote
        fields: ClassVar = ["body"]
        labels: ClassVar = {"body": _("Note")}
        widgets: ClassVar = {"body": forms.Textarea(attrs={"rows": 4, "maxlength": 4000})}


class RelapseReviewForm(forms.ModelForm[RelapseReview]):
    class Meta:
        model = RelapseReview
        fields: ClassVar = ["verdict", "note"]
        widgets: ClassVar = {"verdict": forms.RadioSelect, "note": forms.Textarea(attrs={"rows": 2, "maxlength": 2000})}


class DateRangeForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        required=False,
        validators=[not_before_earliest],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        validators=[not_before_earliest],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        for name in ("start", "end"):
            try:
                not_after_today(data.get(name), today)
            except forms.ValidationError as error:
                self.add_error(name, error)
        if self.errors:
            return data
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("The start date must be on or before the end date."))
        if (end - start).days > MAX_RANGE_DAYS:
            raise forms.ValidationError(_("Choose a range of at most three years."))
        data["start"], data["end"] = start, end
        return data

    @classmethod
    def for_request(cls, params: Any) -> "tuple[DateRangeForm, date, date]":
        """The form to show (filled with the range in use) and that range."""
        form = cls(params or None)
        start, end = form.range()
        if not form.is_bound:
            form = cls(initial={"start": start, "end": end})
        return form, start, end

    def range(self) -> tuple[date, date]:
        """The chosen range, or the last 12 weeks when the input is missing or wrong."""
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        today = timezone.localdate()
        return today - timedelta(days=DEFAULT_RANGE_DAYS - 1), today


class DashboardForm(forms.Form):
    q = forms.CharField(label=_("Search by name or email"), required=False, max_length=100)
    flag = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("All patients")), ("any", _("Any flag")), *FLAG_LABELS.items()],
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=list(SORTS.items()))


class EraseForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(label=_("I understand that my account and all my entries are deleted for good."))

    def __init__(self, *args: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
        self.request, self.user = request, user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        # Counted like a sign-in: this form must not be a way round the sign-in throttle.
        if not check_password(self.request, self.user, password):
            raise forms.ValidationError(_("This password is not right."))
        return password
