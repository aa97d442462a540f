from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msgut.dates import not_before_earliest

RANGE_CHOICES = [
    ("4", _("4 weeks")),
    ("12", _("12 weeks")),
    ("26", _("6 months")),
    ("52", _("1 year")),
]
DEFAULT_WEEKS = 12
MAX_SPAN = timedelta(days=2 * 366)


class RangeForm(forms.Form):
    """The dashboard's period: from 4 weeks to a year, ending this week."""

    weeks = forms.TypedChoiceField(label=_("Period"), choices=RANGE_CHOICES, coerce=int, initial=str(DEFAULT_WEEKS))

    def weeks_or_default(self) -> int:
        return self.cleaned_data["weeks"] if self.is_bound and self.is_valid() else DEFAULT_WEEKS


class ChartRangeForm(forms.Form):
    """The charts fragment's range (as the template tag was given it) and how many times it has polled."""

    start = forms.DateField(label=_("From"), validators=[not_before_earliest])
    end = forms.DateField(label=_("To"), validators=[not_before_earliest])
    poll = forms.IntegerField(min_value=0, max_value=10_000, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The start date must be on or before the end date."))
            if end - start > MAX_SPAN:
                raise forms.ValidationError(_("Choose a period of at most two years."))
            if end > timezone.localdate() + timedelta(days=1):
                raise forms.ValidationError(_("The end date cannot be in the future."))
        return data
