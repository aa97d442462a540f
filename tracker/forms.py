"""Forms do the parsing: every bad input becomes a message next to its field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, cast

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from msgut.dates import not_before_earliest
from tracker.measures import (
    BRISTOL_TYPES,
    MFIS_ANSWERS,
    MFIS_ITEMS,
    MFIS_QUESTIONS,
    NOVA_GROUPS,
    NOVA_MIN,
    clock_minutes,
)
from tracker.medications import DMTS
from tracker.models import (
    CustomSymptom,
    Food,
    FoodGroup,
    Lifestyle,
    MealType,
    Medication,
    Relapse,
    SavedMeal,
    SleepDiary,
)
from tracker.selectors import patient_today
from tracker.units import GRAMS, PORTION, unit_grams

MAX_PORTION_G = 2000
MIN_PORTION_G = 0.1  # amounts are kept to one decimal: less rounds to zero
MAX_COUNT = 20


class TokenField(forms.CharField):
    """A hidden one-time token that makes a repeated submit harmless."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, max_length=36, **kwargs)


def not_future(value: date | None) -> None:
    if value is not None and value > patient_today():
        raise forms.ValidationError(_("This date is in the future. You can only log today or earlier days."))


class FoodSearchForm(forms.Form):
    q = forms.CharField(label=_("Find a food"), max_length=80, required=False, strip=True)
    meal = forms.ChoiceField(choices=MealType.choices, widget=forms.HiddenInput)


QUICK_AMOUNTS = ("0.5", "1", "2")


class MealItemForm(forms.Form):
    """Add a food to a meal: a count of its household measure, or grams."""

    food = forms.ModelChoiceField(queryset=Food.objects.none(), widget=forms.HiddenInput)
    amount = forms.DecimalField(
        label=_("How much"),
        min_value=0.1,
        max_digits=7,
        decimal_places=2,
        initial=1,
        error_messages={
            "min_value": _("Enter an amount above zero."),
            "invalid": _("Enter a number, like 1, 1.5 or 150."),
            "max_digits": _("Enter a number, like 1, 1.5 or 150."),
            "max_whole_digits": _("Enter a number, like 1, 1.5 or 150."),
            "max_decimal_places": _("Enter a number with at most 2 decimals, like 1.5."),
        },
    )
    unit = forms.CharField(label=_("Unit"), max_length=16, initial=PORTION)
    # A quick amount (½, 1, 2) tapped instead of typed: it takes the place of the amount.
    quick = forms.TypedChoiceField(
        choices=[(q, q) for q in QUICK_AMOUNTS], coerce=Decimal, required=False, empty_value=None
    )
    token = TokenField()

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["food"].queryset = Food.objects.available_to(user)  # type: ignore[attr-defined]
        self.fields["food"].error_messages["invalid_choice"] = _("That food is not in the catalog. Search again.")
        self.fields["food"].error_messages["required"] = _("Choose a food first.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("quick") is not None:
            data["amount"] = data["quick"]
            self.errors.pop("amount", None)
        return grams_from_amount(self, data)


def grams_from_amount(form: forms.Form, data: dict[str, Any]) -> dict[str, Any]:
    """Grams from an amount and a unit (a household unit of the food, its portion, or grams)."""
    food, amount, unit = data.get("food"), data.get("amount"), data.get("unit")
    if food is None or amount is None or not unit:
        return data
    each = unit_grams(food, unit)
    if each is None:
        form.add_error("unit", _("Choose one of the units offered for this food."))
        return data
    if unit != GRAMS and amount > MAX_COUNT:
        form.add_error("amount", _("At most %(n)s portions at once. Use grams for a bigger amount.") % {"n": MAX_COUNT})
        return data
    grams = float(amount) * each
    if grams > MAX_PORTION_G:
        form.add_error(
            "amount",
            _("That is %(g)s g, more than 2 kg in one go. Check the amount or the unit.") % {"g": f"{grams:,.0f}"},
        )
    elif grams < MIN_PORTION_G:
        form.add_error("amount", _("Enter an amount above zero."))
    data["grams"] = round(grams, 1)
    data["quantity"] = amount
    return data


class MealItemEditForm(forms.Form):
    """Change a logged food: its meal and how much, in the same units as when adding it."""

    meal = forms.ChoiceField(label=_("Meal"), choices=MealType.choices)
    amount = MealItemForm.base_fields["amount"]
    unit = forms.CharField(label=_("Unit"), max_length=16)
    quick = MealItemForm.base_fields["quick"]

    def __init__(self, data: Any = None, *args: Any, food: Food, **kwargs: Any) -> None:
        if data is not None and "grams" in data and "amount" not in data:
            # The earlier form posted grams alone (a page left open, a queued offline save).
            data = data.copy()
            data["amount"], data["unit"] = data["grams"], GRAMS
        super().__init__(data, *args, **kwargs)
        self.food = food

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("quick") is not None:
            data["amount"] = data["quick"]
            self.errors.pop("amount", None)
        data["food"] = self.food
        return grams_from_amount(self, data)


class SaveMealForm(forms.Form):
    name = forms.CharField(label=_("Name for this meal"), max_length=80)


class ApplySavedMealForm(forms.Form):
    saved_meal = forms.ModelChoiceField(
        label=_("Saved meal"), queryset=SavedMeal.objects.none(), empty_label=_("Choose a saved meal")
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["saved_meal"].queryset = SavedMeal.objects.filter(patient=user)  # type: ignore[attr-defined]


NOVA_CHOICES = [(group, _(text)) for group, text in NOVA_GROUPS.items()]


class PrivateFoodForm(forms.ModelForm[Food]):
    groups = forms.MultipleChoiceField(
        label=_("Tags"),
        choices=FoodGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick what this food is: the guidance counts these."),
    )
    nova_group = forms.TypedChoiceField(
        label=_("How processed is it?"), choices=NOVA_CHOICES, coerce=int, initial=NOVA_MIN, widget=forms.RadioSelect
    )

    class Meta:
        model = Food
        fields: ClassVar = [
            "name_en",
            "household_measure_en",
            "default_portion_g",
            "groups",
            "nova_group",
            "fiber_g_per_100g",
            "sat_fat_g_per_100g",
            "fermented",
            "raw",
            "added_sugar",
        ]
        labels: ClassVar = {
            "name_en": _("Name"),
            "household_measure_en": _("Usual portion, in words (e.g. 1 bowl)"),
            "default_portion_g": _("Usual portion in grams"),
            "fiber_g_per_100g": _("Fiber per 100 g (if you know it)"),
            "sat_fat_g_per_100g": _("Saturated fat per 100 g (if you know it)"),
            "fermented": _("Fermented (yogurt, kefir, sauerkraut...)"),
            "raw": _("Eaten raw (salad, raw vegetable)"),
            "added_sugar": _("Has added sugar"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_portion_g"].max_value = MAX_PORTION_G  # type: ignore[attr-defined]
        self.fields["default_portion_g"].initial = 100
        self.fields["fiber_g_per_100g"].required = False
        self.fields["sat_fat_g_per_100g"].required = False

    def clean_fiber_g_per_100g(self) -> float:
        return self.cleaned_data.get("fiber_g_per_100g") or 0.0

    def clean_sat_fat_g_per_100g(self) -> float:
        return self.cleaned_data.get("sat_fat_g_per_100g") or 0.0


TIME_HELP = _("Times from noon onwards count as the evening before.")


class SleepForm(forms.ModelForm[SleepDiary]):
    class Meta:
        model = SleepDiary
        fields: ClassVar = [
            "in_bed_at",
            "tried_sleep_at",
            "minutes_to_fall_asleep",
            "awakenings",
            "minutes_awake",
            "final_wake_at",
            "out_of_bed_at",
            "quality",
        ]
        labels: ClassVar = {
            "in_bed_at": _("Time you went to bed"),
            "tried_sleep_at": _("Time you tried to fall asleep"),
            "minutes_to_fall_asleep": _("Minutes it took to fall asleep"),
            "awakenings": _("Times you woke up in the night"),
            "minutes_awake": _("Minutes awake during the night, in total"),
            "final_wake_at": _("Time of your final awakening"),
            "out_of_bed_at": _("Time you got out of bed"),
            "quality": _("How well did you sleep?"),
        }
        widgets: ClassVar = {
            "in_bed_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "tried_sleep_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "final_wake_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "out_of_bed_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    quality = forms.TypedChoiceField(
        label=_("How well did you sleep? (optional)"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[(1, _("1 very poor")), (2, _("2 poor")), (3, _("3 fair")), (4, _("4 good")), (5, _("5 very good"))],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose how well you slept (1 to 5).")},
    )

    # Only the two times are needed; the rest of the diary, when left empty, reads as a night
    # without a wait or an awakening (and a start from the last diary fills it in the form).
    REQUIRED: ClassVar = ("in_bed_at", "final_wake_at")
    OPTIONAL_COUNTS: ClassVar = ("minutes_to_fall_asleep", "awakenings", "minutes_awake")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.OPTIONAL_COUNTS:
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "min": 0})
        for name, field in self.fields.items():
            if name not in self.REQUIRED:
                field.required = False
        self.fields["in_bed_at"].error_messages["required"] = _("Enter the time you went to bed.")
        self.fields["final_wake_at"].error_messages["required"] = _("Enter the time you woke up for good.")

    @property
    def detail_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("tried_sleep_at", *self.OPTIONAL_COUNTS, "out_of_bed_at")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            if data.get("tried_sleep_at") is None:
                data["tried_sleep_at"] = data.get("in_bed_at")
            if data.get("out_of_bed_at") is None:
                data["out_of_bed_at"] = data.get("final_wake_at")
            for name in self.OPTIONAL_COUNTS:
                if data.get(name) is None:
                    data[name] = 0
        names = ("in_bed_at", "tried_sleep_at", "final_wake_at", "out_of_bed_at")
        if any(data.get(n) is None for n in names):
            return data
        in_bed, tried, wake, out = (clock_minutes(data[n]) for n in names)
        if tried < in_bed:
            self.add_error("tried_sleep_at", _("This is before the time you went to bed."))
            return data
        if wake <= tried:
            self.add_error(
                "final_wake_at",
                _(
                    "Your final awakening must come after the time you tried to sleep (times from noon count as the evening before)."
                ),
            )
            return data
        if out < wake:
            self.add_error("out_of_bed_at", _("You got up before your final awakening: check both times."))
            return data
        to_sleep, awake = data.get("minutes_to_fall_asleep"), data.get("minutes_awake")
        if to_sleep is None or awake is None:
            return data
        if tried + to_sleep > wake:
            self.add_error("minutes_to_fall_asleep", _("That is longer than the whole night you describe."))
        elif to_sleep + awake > wake - tried:
            self.add_error(
                "minutes_awake", _("With these minutes awake there is no sleep left in the night: check the numbers.")
            )
        return data


class FatigueForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Fatigue today"),
        coerce=int,
        choices=[(n, str(n)) for n in range(11)],
        error_messages={
            "required": _("Choose a number from 0 (no fatigue) to 10 (worst)."),
            "invalid_choice": _("Fatigue is a number from 0 (no fatigue) to 10 (worst)."),
        },
    )


RATING_ERRORS = {
    "min_value": _("Use a number from 0 to 10."),
    "max_value": _("Use a number from 0 to 10."),
    "invalid": _("Use a whole number from 0 to 10."),
}


class SymptomsForm(forms.Form):
    mood = forms.IntegerField(
        label=_("Mood (0 very low, 10 very good)"),
        min_value=0,
        max_value=10,
        required=False,
        error_messages=RATING_ERRORS,
    )
    stress = forms.IntegerField(
        label=_("Stress (0 none, 10 extreme)"), min_value=0, max_value=10, required=False, error_messages=RATING_ERRORS
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Anything you want to remember about today (at most 2000 characters)."),
    )

    def __init__(self, *args: Any, symptoms: list[CustomSymptom], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.symptoms = symptoms
        for symptom in symptoms:
            self.fields[f"rating_{symptom.pk}"] = forms.IntegerField(
                label=_("%(name)s (0 none, 10 worst)") % {"name": symptom.name},
                min_value=0,
                max_value=10,
                required=False,
                error_messages=RATING_ERRORS,
            )
        for field in self.fields.values():
            if isinstance(field, forms.IntegerField):
                field.widget.attrs.update({"inputmode": "numeric"})

    def rating_fields(self) -> list[forms.BoundField]:
        return [self[f"rating_{s.pk}"] for s in self.symptoms]

    def ratings(self) -> dict[int, int | None]:
        return {s.pk: self.cleaned_data.get(f"rating_{s.pk}") for s in self.symptoms}


BRISTOL_CHOICES = [(number, _(text)) for number, text in BRISTOL_TYPES.items()]


class StoolForm(forms.Form):
    bristol_type = forms.TypedChoiceField(
        label=_("Bristol stool type"),
        coerce=int,
        choices=BRISTOL_CHOICES,
        error_messages={"invalid_choice": _("Choose a type from 1 to 7.")},
    )
    token = TokenField()


class CustomSymptomForm(forms.Form):
    name = forms.CharField(
        label=_("Add a symptom to rate every day"),
        max_length=60,
        help_text=_("For example tingling, bladder urgency, pain."),
    )


class LifestyleForm(forms.ModelForm[Lifestyle]):
    class Meta:
        model = Lifestyle
        fields: ClassVar = [
            "activity_minutes",
            "tobacco",
            "cigarettes",
            "alcohol_units",
            "vitamin_d_iu",
            "propionate_mg",
            "probiotic",
            "other_supplements",
        ]
        labels: ClassVar = {
            "activity_minutes": _("Minutes of physical activity"),
            "tobacco": _("I smoked tobacco today"),
            "cigarettes": _("How many cigarettes"),
            "alcohol_units": _("Other alcoholic drinks, not logged as food"),
            "vitamin_d_iu": _("Vitamin D taken (IU)"),
            "propionate_mg": _("Propionate taken (mg)"),
            "probiotic": _("I took a probiotic"),
            "other_supplements": _("Other supplements"),
        }
        help_texts: ClassVar = {
            # A drink logged as food (wine, beer...) already counts from its volume and strength.
            "alcohol_units": _("1 drink = 10 g of alcohol: a 10 cl glass of wine or a 25 cl beer."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("activity_minutes", "cigarettes", "vitamin_d_iu", "propionate_mg"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "min": 0})
        self.fields["alcohol_units"].widget.attrs.update({"inputmode": "decimal", "min": 0, "step": "0.5"})
        self.fields["activity_minutes"].error_messages["max_value"] = _("A day has 1440 minutes: enter at most 1440.")


def _yes_no(value: str) -> bool:
    return value == "True"


class RelapseForm(forms.ModelForm[Relapse]):
    token = TokenField()
    # A required yes/no with nothing ticked in advance: the answer decides whether the episode is a
    # relapse or a fluctuation, so the patient must give it. Saved rows show their stored answer.
    lasted_over_24h = forms.TypedChoiceField(
        label=_("Did the symptoms last more than 24 hours?"),
        choices=[(True, _("Yes, more than 24 hours")), (False, _("No, less than 24 hours"))],
        coerce=_yes_no,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Say whether the symptoms lasted more than 24 hours."),
            "invalid_choice": _("Say whether the symptoms lasted more than 24 hours."),
        },
    )

    class Meta:
        model = Relapse
        fields: ClassVar = [
            "started_on",
            "ended_on",
            "symptoms",
            "severity",
            "lasted_over_24h",
            "fever_or_infection",
            "heat_exposure",
            "steroids",
            "recovery",
        ]
        labels: ClassVar = {
            "started_on": _("When did it start?"),
            "ended_on": _("When did it end? (leave empty if it is still going on)"),
            "symptoms": _("What symptoms did you have?"),
            "fever_or_infection": _("I had a fever or an infection when it started"),
            "heat_exposure": _(
                "I had been overheated when it started (hot weather, hot bath or shower, sauna, effort)"
            ),
            "steroids": _("I was treated with steroids"),
        }
        widgets: ClassVar = {
            "started_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ended_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "symptoms": forms.Textarea(attrs={"rows": 4}),
            "severity": forms.RadioSelect,
            "recovery": forms.RadioSelect,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = patient_today().isoformat()
        for name in ("started_on", "ended_on"):
            self.fields[name].widget.attrs["max"] = today
            self.fields[name].validators += [not_before_earliest, not_future]
        self.fields["symptoms"].help_text = _("For example: blurred vision in the left eye, numb legs.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("started_on"), data.get("ended_on")
        if start and end and end < start:
            self.add_error("ended_on", _("The end date is before the start date."))
        return data


MFIS_ANSWER_CHOICES = [(value, _(text)) for value, text in MFIS_ANSWERS.items()]
FINISH = "finish"


class MFISForm(forms.Form):
    """21 questions; any subset can be saved, finishing needs them all."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for number, question in enumerate(MFIS_QUESTIONS, start=1):
            self.fields[f"item_{number}"] = forms.TypedChoiceField(
                label=_(question),
                choices=MFIS_ANSWER_CHOICES,
                coerce=int,
                required=False,
                widget=forms.RadioSelect,
                empty_value=None,
                error_messages={"invalid_choice": _("Choose one of the five answers.")},
            )

    @classmethod
    def initial_from(cls, items: list[int | None]) -> dict[str, int]:
        return {f"item_{n}": v for n, v in enumerate(items, start=1) if v is not None}

    def items(self) -> list[int | None]:
        return [self.cleaned_data.get(f"item_{n}") for n in range(1, MFIS_ITEMS + 1)]

    def check_complete(self) -> bool:
        missing = [n for n in range(1, MFIS_ITEMS + 1) if self.cleaned_data.get(f"item_{n}") is None]
        for n in missing:
            self.add_error(f"item_{n}", _("Answer this question to finish, or save and come back later."))
        return not missing


class DatePickForm(forms.Form):
    date = forms.DateField(
        label=_("Go to a day"),
        validators=[not_before_earliest, not_future],
        widget=forms.DateInput(attrs={"type": "date"}),
    )


# A medication started before this is a typing slip (the year field of a date input).
EARLIEST_MEDICATION_DATE = date(1950, 1, 1)


class MedicationForm(forms.ModelForm[Medication]):
    """A medication: a therapy from the list (no typing needed) or a typed name, its dose and dates."""

    class Meta:
        model = Medication
        fields: ClassVar = ["therapy", "name", "is_dmt", "dose", "started_on", "stopped_on", "ask_daily"]
        labels: ClassVar = {
            "therapy": _("Disease-modifying therapy"),
            "name": _("Name as on the box (optional when chosen above)"),
            "is_dmt": _("It is a disease-modifying therapy for MS"),
            "dose": _("Dose"),
            "started_on": _("Started on"),
            "stopped_on": _("Stopped on"),
            "ask_daily": _("Ask me each day if I took it as usual"),
        }
        help_texts: ClassVar = {
            "dose": _("As you would say it, for example: 240 mg twice a day, every 6 months."),
            "ask_daily": _("Useful for a tablet you take every day."),
            "stopped_on": _("Leave empty while you take it."),
        }
        widgets: ClassVar = {
            "started_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "stopped_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = get_language() or "en"
        self.fields["therapy"] = forms.ChoiceField(
            label=self.fields["therapy"].label,
            required=False,
            choices=[
                ("", _("Other (type its name)")),
                (_("Disease-modifying therapies"), [(t.code, t.name(language)) for t in DMTS]),
            ],
            error_messages={"invalid_choice": _("Choose a therapy from the list, or “Other” and type its name.")},
        )
        today = patient_today()
        for name in ("started_on", "stopped_on"):
            self.fields[name].widget.attrs.update(min=EARLIEST_MEDICATION_DATE.isoformat(), max=today.isoformat())
            self.fields[name].validators.extend([not_future, _not_before_1950])
        self.fields["name"].widget.attrs["autocomplete"] = "off"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("therapy") and not (data.get("name") or "").strip() and "name" not in self.errors:
            self.add_error("name", _("Choose a therapy from the list or type its name."))
        start, stop = data.get("started_on"), data.get("stopped_on")
        if start and stop and stop < start:
            self.add_error("stopped_on", _("The stop date must be on or after the start date."))
        return data


def _not_before_1950(value: date | None) -> None:
    if value is not None and value < EARLIEST_MEDICATION_DATE:
        raise forms.ValidationError(_("Enter a date after 1 January 1950."))


class _MedicationIdsField(forms.MultipleChoiceField):
    """The ticked medications. An id that is not offered (another patient's, a stopped one) is dropped, not trusted."""

    offered: frozenset[str] = frozenset()

    def to_python(self, value: Any) -> list[str]:
        return [v for v in super().to_python(value) if v in self.offered]


class MedicinesForm(forms.Form):
    """The day's answer: "all as usual" in one tap, or one checkbox per asked medication (ticked = as usual)."""

    all = forms.BooleanField(required=False, widget=forms.HiddenInput)
    taken = _MedicationIdsField(label=_("Taken as usual"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, medications: list[Medication], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.medications = medications
        taken = cast(_MedicationIdsField, self.fields["taken"])
        taken.choices = [(m.pk, m.display_name) for m in medications]
        taken.offered = frozenset(str(m.pk) for m in medications)

    def answers(self) -> dict[int, bool] | None:
        """None: all taken as usual; else each asked medication's answer."""
        if self.cleaned_data.get("all"):
            return None
        ticked = {int(v) for v in self.cleaned_data.get("taken", [])}
        return {m.pk: m.pk in ticked for m in self.medications}
