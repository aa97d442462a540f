"""Admins curate the shared food catalog. Patients' private foods and entries stay out of the admin."""

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tracker import catalog
from tracker.models import Food, FoodGroup


class FoodAdminForm(forms.ModelForm[Food]):
    groups = forms.MultipleChoiceField(
        label=_("food groups"), choices=FoodGroup.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Food
        fields: ClassVar = [
            "name_en",
            "name_fr",
            "default_portion_g",
            "household_measure_en",
            "household_measure_fr",
            "fiber_g_per_100g",
            "sat_fat_g_per_100g",
            "animal_sat_fat_share",
            "added_sugar",
            "nova_group",
            "fermented",
            "fermented_family",
            "raw",
            "groups",
            "alcohol_abv",
            "source",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Most foods are neither drinks nor animal foods: an empty box means 0.
        for name in ("animal_sat_fat_share", "alcohol_abv"):
            self.fields[name].required = False

    def clean_animal_sat_fat_share(self) -> float:
        return self.cleaned_data.get("animal_sat_fat_share") or 0.0

    def clean_alcohol_abv(self) -> float:
        return self.cleaned_data.get("alcohol_abv") or 0.0


@admin.register(Food)
class FoodAdmin(admin.ModelAdmin[Food]):
    form = FoodAdminForm
    list_display = ("name_en", "name_fr", "default_portion_g", "fiber_g_per_100g", "nova_group", "fermented", "source")
    list_filter = ("nova_group", "fermented", "fermented_family", "raw", "added_sugar")
    search_fields = ("name_en", "name_fr", "search_text")
    ordering = ("name_en",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Food]:
        # Private foods belong to patients' logs: not shown to admins.
        return super().get_queryset(request).filter(owner__isnull=True)

    def save_model(self, request: HttpRequest, obj: Food, form: Any, change: bool) -> None:
        obj.owner = None
        obj.search_text = catalog.search_key(obj.name_en, obj.name_fr)
        super().save_model(request, obj, form, change)
