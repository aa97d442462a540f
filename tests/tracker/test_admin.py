"""Admins edit the shared catalog; the search key follows; private foods stay hidden."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from tests.tracker.factories import FoodFactory
from tracker.admin import FoodAdmin, FoodAdminForm
from tracker.models import Food

pytestmark = pytest.mark.django_db


def test_it_fills_the_search_key_when_an_admin_saves_a_food(admin_user):
    form = FoodAdminForm(
        {
            "name_en": "Crème brûlée",
            "name_fr": "Crème brûlée",
            "default_portion_g": "100",
            "fiber_g_per_100g": "0",
            "sat_fat_g_per_100g": "10",
            "nova_group": "4",
            "groups": ["sweets_pastries"],
        }
    )
    assert form.is_valid(), form.errors
    food = form.save(commit=False)
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    FoodAdmin(Food, site).save_model(request, food, form, change=False)
    food.refresh_from_db()
    assert "creme brulee" in food.search_text
    assert food.groups == ["sweets_pastries"]


def test_it_hides_patients_private_foods_from_admins(admin_user, patient):
    FoodFactory(name_en="Shared")
    FoodFactory(name_en="Private", owner=patient)
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    names = list(FoodAdmin(Food, site).get_queryset(request).values_list("name_en", flat=True))
    assert names == ["Shared"]
