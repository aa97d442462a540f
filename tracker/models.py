"""What a patient logs. One calendar date = one day in the patient's time zone.

Derived values (sleep totals, MFIS scores) are computed by plain functions in
`tracker.measures` so the scoring and charts code can reuse them on frames.
"""

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from tracker.measures import BRISTOL_MAX, BRISTOL_MIN, FERMENTED_FAMILIES, MINUTES_PER_DAY, NOVA_MAX, NOVA_MIN
from tracker.medications import DMT_BY_CODE, DMTS, Therapy

if TYPE_CHECKING:
    from accounts.models import User


class FoodGroup(models.TextChoices):
    """The food-group tags a food carries (a food may have several): the guidance rules count servings by tag."""

    VEGETABLE = "vegetable", _("Vegetable")
    FRUIT = "fruit", _("Fruit")
    LEGUME = "legume", _("Legume")
    WHOLE_GRAIN = "whole_grain", _("Whole grain")
    FISH_SEAFOOD = "fish_seafood", _("Fish or seafood")
    NUTS = "nuts", _("Nuts")
    OLIVE_OIL = "olive_oil", _("Olive oil")
    OTHER_VEG_OIL = "other_veg_oil", _("Other vegetable oil")
    RED_MEAT = "red_meat", _("Red meat")
    PROCESSED_MEAT = "processed_meat", _("Processed meat")
    WHITE_MEAT = "white_meat", _("White meat")
    BUTTER_CREAM = "butter_cream", _("Butter, cream or margarine")
    CHEESE = "cheese", _("Cheese")
    ANIMAL_FAT = "animal_fat", _("Animal fat (duck or goose fat, lard, foie gras)")
    SUGARY_DRINK = "sugary_drink", _("Sugary drink")
    SWEETS_PASTRIES = "sweets_pastries", _("Commercial sweets or pastries")
    SOFRITO = "sofrito", _("Sofrito (tomato, onion, garlic in olive oil)")
    VERY_SPICY = "very_spicy", _("Very spicy")


class FoodQuerySet(models.QuerySet["Food"]):
    def available_to(self, user: "User") -> "FoodQuerySet":
        """The shared catalog plus the user's own private foods."""
        return self.filter(Q(owner__isnull=True) | Q(owner=user))


class Food(models.Model):
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120, blank=True)
    # Lower-case, accent-free "name_en | name_fr" (the admin's search; the food search indexes
    # the names in memory, see tracker.search).
    search_text = models.CharField(max_length=300, editable=False, default="")
    default_portion_g = models.FloatField(
        _("default portion (g)"), validators=[MinValueValidator(0.1), MaxValueValidator(2000)]
    )
    household_measure_en = models.CharField(_("household measure (English)"), max_length=80, blank=True)
    household_measure_fr = models.CharField(_("household measure (French)"), max_length=80, blank=True)
    fiber_g_per_100g = models.FloatField(
        _("fiber g/100 g"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    sat_fat_g_per_100g = models.FloatField(
        _("saturated fat g/100 g"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    added_sugar = models.BooleanField(_("added sugar"), default=False)
    nova_group = models.PositiveSmallIntegerField(
        _("NOVA group"), default=NOVA_MIN, validators=[MinValueValidator(NOVA_MIN), MaxValueValidator(NOVA_MAX)]
    )
    fermented = models.BooleanField(_("fermented"), default=False)
    # Which recommended fermented family the food belongs to (tracker.measures.FERMENTED_FAMILIES), empty for none.
    fermented_family = models.CharField(
        _("recommended fermented family"),
        max_length=20,
        blank=True,
        choices=[(code, _(label)) for code, label in FERMENTED_FAMILIES.items()],
    )
    animal_sat_fat_share = models.FloatField(
        _("share of saturated fat from animal foods"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    alcohol_abv = models.FloatField(
        _("alcohol (% by volume)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    raw = models.BooleanField(_("eaten raw (salad, raw vegetable)"), default=False)
    # A list of FoodGroup values.
    groups = models.JSONField(_("food groups"), default=list, blank=True)
    source = models.CharField(_("composition source"), max_length=160, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="private_foods"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The food search caches the shared catalog per process and rebuilds it when this moves.
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[FoodQuerySet] = FoodQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering: ClassVar = ["name_en"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(nova_group__gte=NOVA_MIN, nova_group__lte=NOVA_MAX), name="food_nova_1_4"
            ),
        ]
        indexes: ClassVar = [
            # Whether the shared catalog changed (count, last id, last change), from the index alone.
            models.Index(fields=["updated_at", "id"], condition=Q(owner__isnull=True), name="food_shared_changes"),
        ]

    def __str__(self) -> str:
        return self.name_en

    @property
    def display_name(self) -> str:
        """The name in the active language (English when the French one is missing): pages and messages alike."""
        return self.name_fr if self.name_fr and in_french() else self.name_en

    @property
    def display_measure(self) -> str:
        """The household measure ("1 bowl") in the active language, else "1 portion"."""
        measure = self.household_measure_fr if self.household_measure_fr and in_french() else self.household_measure_en
        return measure or gettext("1 portion")


def in_french() -> bool:
    """Whether the active language is French (English otherwise)."""
    return (get_language() or "en").startswith("fr")


class MealType(models.TextChoices):
    BREAKFAST = "breakfast", _("Breakfast")
    LUNCH = "lunch", _("Lunch")
    DINNER = "dinner", _("Dinner")
    SNACK = "snack", _("Snacks")


class PatientDayModel(models.Model):
    """Anything a patient logs for one local date."""

    # No index of its own: each kind of entry has an index or unique constraint led by (patient, date).
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    date = models.DateField(_("date"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class MealItem(PatientDayModel):
    meal = models.CharField(_("meal"), max_length=16, choices=MealType.choices)
    food = models.ForeignKey(Food, on_delete=models.PROTECT, related_name="meal_items")
    grams = models.FloatField(_("portion (g)"), validators=[MinValueValidator(0.1), MaxValueValidator(3000)])
    # What the patient chose, kept for reading back and exports (the grams are what counts):
    # a household unit code of tracker.units ("slice", "cup"…), "portion" or "g", and how many.
    unit = models.CharField(_("unit"), max_length=16, blank=True, default="")
    quantity = models.DecimalField(_("quantity"), max_digits=7, decimal_places=2, null=True, blank=True)
    # A random token from the form that added the item: a double submit (or a retry) cannot add it twice.
    client_token = models.CharField(max_length=36, blank=True, default="", editable=False)

    class Meta:
        ordering: ClassVar = ["date", "meal", "created_at", "id"]
        indexes: ClassVar = [models.Index(fields=["patient", "date"])]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(grams__gt=0, grams__lte=3000), name="mealitem_grams_range"),
            models.UniqueConstraint(
                fields=["patient", "client_token"], condition=~Q(client_token=""), name="mealitem_token_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.food} {self.grams:g} g"


class FavoriteFood(models.Model):
    # Indexed by favorite_once (patient, food) below.
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    food = models.ForeignKey(Food, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["patient", "food"], name="favorite_once")]

    def __str__(self) -> str:
        return f"{self.food} (favourite)"


class SavedMeal(models.Model):
    # Indexed by saved_meal_name_unique (patient, name) below.
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    name = models.CharField(_("name"), max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["patient", "name"], name="saved_meal_name_unique")]

    def __str__(self) -> str:
        return self.name


class SavedMealItem(models.Model):
    saved_meal = models.ForeignKey(SavedMeal, on_delete=models.CASCADE, related_name="items")
    food = models.ForeignKey(Food, on_delete=models.PROTECT, related_name="+")
    grams = models.FloatField(validators=[MinValueValidator(0.1), MaxValueValidator(3000)])

    def __str__(self) -> str:
        return f"{self.food} {self.grams:g} g"


class SleepDiary(PatientDayModel):
    """Consensus Sleep Diary core, filled in the morning. `date` is the morning's date.

    Clock times: a time at or after noon is the evening before `date`.
    """

    in_bed_at = models.TimeField(_("time into bed"))
    tried_sleep_at = models.TimeField(_("time you tried to sleep"))
    minutes_to_fall_asleep = models.PositiveSmallIntegerField(
        _("minutes to fall asleep"), validators=[MaxValueValidator(720)]
    )
    awakenings = models.PositiveSmallIntegerField(_("number of awakenings"), validators=[MaxValueValidator(50)])
    minutes_awake = models.PositiveSmallIntegerField(
        _("minutes awake during the night"), validators=[MaxValueValidator(720)]
    )
    final_wake_at = models.TimeField(_("final wake time"))
    out_of_bed_at = models.TimeField(_("time out of bed"))
    quality = models.PositiveSmallIntegerField(
        _("sleep quality (1 very poor - 5 very good)"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        null=True,
        blank=True,
    )
    # Derived on save by tracker.measures.sleep_measures (kept as columns for fast frames).
    total_sleep_minutes = models.PositiveSmallIntegerField(default=0, editable=False)
    time_in_bed_minutes = models.PositiveSmallIntegerField(default=0, editable=False)
    efficiency = models.FloatField(default=0, editable=False)
    # Minutes from midnight of `date` (negative = before midnight).
    mid_sleep_minutes = models.SmallIntegerField(default=0, editable=False)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["patient", "date"], name="sleep_one_per_day"),
            models.CheckConstraint(condition=Q(quality__gte=1, quality__lte=5), name="sleep_quality_1_5"),
        ]

    def __str__(self) -> str:
        return f"sleep {self.date}"


class FatigueRating(PatientDayModel):
    score = models.PositiveSmallIntegerField(
        _("fatigue (0 none - 10 worst)"), validators=[MinValueValidator(0), MaxValueValidator(10)]
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["patient", "date"], name="fatigue_one_per_day"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=10), name="fatigue_0_10"),
        ]

    def __str__(self) -> str:
        return f"fatigue {self.date}: {self.score}"


class SymptomLog(PatientDayModel):
    mood = models.PositiveSmallIntegerField(
        _("mood (0 very low - 10 very good)"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    stress = models.PositiveSmallIntegerField(
        _("stress (0 none - 10 extreme)"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["patient", "date"], name="symptoms_one_per_day")]

    def __str__(self) -> str:
        return f"symptoms {self.date}"


class StoolEvent(PatientDayModel):
    bristol_type = models.PositiveSmallIntegerField(
        _("Bristol stool form (1-7)"),
        validators=[MinValueValidator(BRISTOL_MIN), MaxValueValidator(BRISTOL_MAX)],
    )
    client_token = models.CharField(max_length=36, blank=True, default="", editable=False)

    class Meta:
        ordering: ClassVar = ["date", "created_at"]
        indexes: ClassVar = [models.Index(fields=["patient", "date"])]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(bristol_type__gte=BRISTOL_MIN, bristol_type__lte=BRISTOL_MAX), name="bristol_1_7"
            ),
            models.UniqueConstraint(
                fields=["patient", "client_token"], condition=~Q(client_token=""), name="stool_token_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Bristol {self.bristol_type} on {self.date}"


class CustomSymptom(models.Model):
    """A symptom the patient wants to rate every day (e.g. tingling, bladder urgency)."""

    # Indexed by custom_symptom_unique (patient, name) below.
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    name = models.CharField(_("symptom"), max_length=60)
    active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["patient", "name"], name="custom_symptom_unique")]

    def __str__(self) -> str:
        return self.name


class SymptomRating(PatientDayModel):
    symptom = models.ForeignKey(CustomSymptom, on_delete=models.CASCADE, related_name="ratings")
    score = models.PositiveSmallIntegerField(_("rating (0-10)"), validators=[MaxValueValidator(10)])

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["patient", "date", "symptom"], name="symptom_rating_once")
        ]

    def __str__(self) -> str:
        return f"{self.symptom} {self.date}: {self.score}"


class Lifestyle(PatientDayModel):
    activity_minutes = models.PositiveSmallIntegerField(
        _("physical activity (minutes)"), default=0, validators=[MaxValueValidator(MINUTES_PER_DAY)]
    )
    tobacco = models.BooleanField(_("smoked tobacco"), default=False)
    cigarettes = models.PositiveSmallIntegerField(_("cigarettes"), default=0, validators=[MaxValueValidator(200)])
    # Standard drinks of 10 g of alcohol not logged as food (drinks logged as food count on their own).
    alcohol_units = models.DecimalField(
        _("other alcoholic drinks (10 g standard drinks)"),
        max_digits=4,
        decimal_places=1,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(50)],
    )
    vitamin_d_iu = models.PositiveIntegerField(_("vitamin D (IU)"), default=0, validators=[MaxValueValidator(100000)])
    propionate_mg = models.PositiveIntegerField(_("propionate (mg)"), default=0, validators=[MaxValueValidator(10000)])
    probiotic = models.BooleanField(_("probiotic taken"), default=False)
    other_supplements = models.CharField(_("other supplements"), max_length=200, blank=True)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["patient", "date"], name="lifestyle_one_per_day")]

    def __str__(self) -> str:
        return f"lifestyle {self.date}"


class Severity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class Recovery(models.TextChoices):
    ONGOING = "ongoing", _("Still recovering")
    FULL = "full", _("Full recovery")
    PARTIAL = "partial", _("Partial recovery")
    NONE = "none", _("No recovery")


class RelapseQuerySet(models.QuerySet["Relapse"]):
    def overlapping(self, start: date | None, end: date | None) -> "RelapseQuerySet":
        """Relapses with at least one day in [start, end], both days included; None leaves that side open.

        A relapse without an end date is still going on: it overlaps every period from its start.
        """
        relapses = self
        if end is not None:
            relapses = relapses.filter(started_on__lte=end)
        if start is not None:
            relapses = relapses.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        return relapses


class Relapse(models.Model):
    # Indexed by (patient, started_on) below.
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    started_on = models.DateField(_("start date"))
    ended_on = models.DateField(_("end date"), null=True, blank=True)
    symptoms = models.TextField(_("symptoms"), max_length=2000)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MODERATE)
    # No default: the patient answers yes or no (None only on rows saved without the question).
    lasted_over_24h = models.BooleanField(_("symptoms lasted more than 24 hours"), null=True, blank=True, default=None)
    fever_or_infection = models.BooleanField(_("fever or infection at onset"), default=False)
    heat_exposure = models.BooleanField(_("overheated at onset"), default=False)
    steroids = models.BooleanField(_("treated with steroids"), default=False)
    recovery = models.CharField(_("recovery"), max_length=10, choices=Recovery.choices, default=Recovery.ONGOING)
    client_token = models.CharField(max_length=36, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[RelapseQuerySet] = RelapseQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering: ClassVar = ["-started_on", "-id"]
        indexes: ClassVar = [models.Index(fields=["patient", "started_on"])]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="relapse_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["patient", "client_token"], condition=~Q(client_token=""), name="relapse_token_once"
            ),
        ]

    def __str__(self) -> str:
        return f"relapse from {self.started_on}"


class MFISResponse(PatientDayModel):
    """Modified Fatigue Impact Scale: 21 items scored 0-4; may be saved part-way."""

    # A list of 21 entries, each 0-4 or null while unanswered.
    items = models.JSONField(default=list)
    completed = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar = ["-date", "-id"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["patient", "date"], name="mfis_one_per_day")]

    def __str__(self) -> str:
        return f"MFIS {self.date}"


class Medication(models.Model):
    """A medicine on the patient's list: a disease-modifying therapy from `tracker.medications.DMTS`
    (stored by code) or any name typed (vitamin D, a trial drug), with its dose as written and dates.
    """

    # Indexed by (patient, stopped_on) below.
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    therapy = models.CharField(
        _("disease-modifying therapy"), max_length=40, blank=True, choices=[(t.code, t.code) for t in DMTS]
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    is_dmt = models.BooleanField(_("disease-modifying therapy"), default=False)
    dose = models.CharField(_("dose"), max_length=120, blank=True)
    started_on = models.DateField(_("started"), null=True, blank=True)
    stopped_on = models.DateField(_("stopped"), null=True, blank=True)
    ask_daily = models.BooleanField(_("ask me each day if I took it as usual"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Current disease-modifying therapies first, then the others; stopped ones last.
        ordering: ClassVar = ["-is_dmt", models.F("stopped_on").asc(nulls_first=True), "name", "id"]
        indexes: ClassVar = [models.Index(fields=["patient", "stopped_on"])]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(stopped_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(stopped_on__gte=models.F("started_on")),
                name="medication_stop_after_start",
            ),
            models.CheckConstraint(condition=~Q(therapy="", name=""), name="medication_has_a_name"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def therapy_info(self) -> Therapy | None:
        return DMT_BY_CODE.get(self.therapy)

    @property
    def display_name(self) -> str:
        """The name as the patient typed it, else the listed therapy's name in the active language."""
        if self.name:
            return self.name
        therapy = self.therapy_info
        return therapy.name(get_language() or "en") if therapy else ""

    def is_current(self, day: date) -> bool:
        return (self.started_on is None or self.started_on <= day) and (
            self.stopped_on is None or self.stopped_on >= day
        )


class MedicationDay(models.Model):
    """One "taken as usual" answer for one medication on one day. No row means no answer, never "missed"."""

    # The patient's own foreign key: the access chokepoint, the exports and erasure find the row by it.
    # Indexed by (patient, date) below; the medication by medication_day_once (medication, date).
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    medication = models.ForeignKey(Medication, on_delete=models.CASCADE, related_name="days", db_index=False)
    date = models.DateField(_("date"))
    taken = models.BooleanField(_("taken as usual"), default=True)  # False: missed, late or changed
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["date", "medication_id"]
        indexes: ClassVar = [models.Index(fields=["patient", "date"])]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["medication", "date"], name="medication_day_once"),
        ]

    def __str__(self) -> str:
        return f"medication {self.medication_id} on {self.date}: {'as usual' if self.taken else 'not as usual'}"
