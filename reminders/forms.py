from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from reminders import push
from reminders.models import ReminderPreference

EMAIL_FIELDS = ("daily_email", "weekly_email")
PUSH_FIELDS = ("daily_push", "weekly_push")


class ReminderPreferenceForm(forms.ModelForm[ReminderPreference]):
    """The reminders page. Channels the server cannot use are left out (push without VAPID keys)
    or shown switched off (email with email disabled), so nobody ticks a box that sends nothing."""

    class Meta:
        model = ReminderPreference
        fields: ClassVar = ["daily_email", "daily_push", "at", "weekly_email", "weekly_push", "quiet_during_relapse"]
        labels: ClassVar = {
            "daily_email": _("By email"),
            "daily_push": _("As a notification on my devices"),
            "at": _("Time"),
            "weekly_email": _("By email"),
            "weekly_push": _("As a notification on my devices"),
            "quiet_during_relapse": _("No reminders while a relapse is in my log"),
        }
        widgets: ClassVar = {"at": forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": 300})}

    def __init__(self, *args: Any, email_on: bool, push_on: bool, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["at"].help_text = _("In your time zone, %(zone)s, summer and winter.") % {"zone": zone}
        self.fields["quiet_during_relapse"].help_text = _(
            "Nothing is sent, neither reminder nor summary, while a relapse without an end date, or one that "
            "covers the day, is in your log."
        )
        if not push_on:
            for name in PUSH_FIELDS:
                del self.fields[name]
        if not email_on:
            for name in EMAIL_FIELDS:
                self.fields[name].disabled = True
        self.fields["at"].error_messages["invalid"] = _("Enter a time such as 20:00.")


def _decoded(value: str, size: int, message: StrOrPromise) -> bytes:
    try:
        raw = push.b64url_decode(value)
    except ValueError:
        raise forms.ValidationError(message) from None
    if len(raw) != size:
        raise forms.ValidationError(message)
    return raw


class PushSubscriptionForm(forms.Form):
    """What a browser's PushSubscription.toJSON() holds; checked before the worker ever posts to it."""

    endpoint = forms.CharField(max_length=2000)
    p256dh = forms.CharField(max_length=100)
    auth = forms.CharField(max_length=40)

    def clean_endpoint(self) -> str:
        endpoint: str = self.cleaned_data["endpoint"]
        if not push.endpoint_allowed(endpoint):
            raise forms.ValidationError(_("This browser's push service is not one msgut can send to."))
        return endpoint

    def clean_p256dh(self) -> str:
        value: str = self.cleaned_data["p256dh"]
        key = _decoded(value, push.P256DH_BYTES, _("This browser sent a key that is not valid."))
        if not push.is_public_key(key):
            raise forms.ValidationError(_("This browser sent a key that is not valid."))
        return value

    def clean_auth(self) -> str:
        value: str = self.cleaned_data["auth"]
        _decoded(value, push.AUTH_BYTES, _("This browser sent a key that is not valid."))
        return value
