import datetime as dt
import zoneinfo

import pytest
import time_machine

from tests.tracker.factories import FoodFactory

TODAY = dt.date(2026, 11, 20)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def pinned_today():
    """Friday 20 November 2026, 10:00 in Paris (the factory patients' time zone).

    Not autouse: the catalog tests share this folder. Daily-log test modules opt in with
    `pytestmark = pytest.mark.usefixtures("pinned_today")`."""
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=PARIS), tick=False):
        yield TODAY


@pytest.fixture
def day_foods(db):
    return {
        "yogurt": FoodFactory(
            name_en="Plain yogurt",
            name_fr="Yaourt nature",
            default_portion_g=125,
            household_measure_en="1 pot",
            fermented=True,
        ),
        "oats": FoodFactory(
            name_en="Oat flakes", name_fr="Flocons d'avoine", default_portion_g=40, groups=["whole_grain"]
        ),
        "lentils": FoodFactory(
            name_en="Lentils, cooked", name_fr="Lentilles cuites", default_portion_g=150, groups=["legume"]
        ),
        "creme": FoodFactory(
            name_en="Sour cream", name_fr="Crème fraîche", default_portion_g=30, groups=["butter_cream"]
        ),
    }


@pytest.fixture
def htmx():
    return {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def demo_catalog(db):
    """A small catalog with every food group, enough for demo.make_history."""
    groups = [
        "vegetable",
        "fruit",
        "legume",
        "whole_grain",
        "fish_seafood",
        "nuts",
        "olive_oil",
        "red_meat",
        "processed_meat",
        "white_meat",
        "butter_cream",
        "cheese",
        "sugary_drink",
        "sweets_pastries",
        "sofrito",
    ]
    for n, group in enumerate(groups * 2):
        FoodFactory(name_en=f"{group} {n}", groups=[group], raw=n % 3 == 0, nova_group=4 if n % 5 == 0 else 1)
    FoodFactory(name_en="Yogurt", fermented=True)
