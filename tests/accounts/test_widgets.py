"""QuickSelect writes exactly the HTML of Django's Select."""

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from accounts.forms import ProfileForm
from accounts.models import TIME_ZONE_CHOICES, Profile
from accounts.widgets import QuickSelect

CHOICES = [
    ("", "---------"),
    ("a&b", 'Tom & "Jerry" <b>'),
    ("lazy", gettext_lazy("Not set")),
    ("safe", mark_safe("<em>safe</em>")),  # a label marked safe stays unescaped, as in Django
    (3, 3),
    ("Group <1>", [("g1", "First"), ("g2", "Second")]),
]


@pytest.mark.parametrize(
    ("choices", "value", "attrs"),
    [
        (TIME_ZONE_CHOICES, "Europe/Paris", None),
        (TIME_ZONE_CHOICES, "", {"id": "id_time_zone", "required": True}),
        (TIME_ZONE_CHOICES, "Not/A_zone", {"aria-invalid": "true", "disabled": False}),
        (CHOICES, "a&b", {"class": 'x" y'}),
        (CHOICES, "g2", None),
        (CHOICES, 3, None),
        (CHOICES, None, None),
    ],
)
def test_it_renders_as_djangos_select(choices, value, attrs):
    quick = QuickSelect(choices=choices).render("field", value, attrs)
    django = forms.Select(choices=choices).render("field", value, attrs)
    assert quick == django


def test_the_settings_form_uses_it_for_the_time_zone(patient):
    form = ProfileForm(instance=Profile.objects.get(user=patient))
    assert isinstance(form.fields["time_zone"].widget, QuickSelect)
    assert str(form["time_zone"]).count("<option") == len(TIME_ZONE_CHOICES)
