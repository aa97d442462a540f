import pytest

from msgut.celery import app
from tests.guidance.factories import FoodFactory


@pytest.fixture(autouse=True)
def eager_tasks():
    """Run Celery tasks inline even when REDIS_URL is set (no worker runs during tests)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


@pytest.fixture
def foods(db):
    return {
        "salad": FoodFactory(groups=["vegetable"], raw=True, default_portion_g=80, fiber_g_per_100g=2),
        "lentils": FoodFactory(groups=["legume"], default_portion_g=150, fiber_g_per_100g=8),
        "yogurt": FoodFactory(fermented=True, fermented_family="yogurt", default_portion_g=125),
        "nuggets": FoodFactory(groups=["white_meat"], nova_group=4, default_portion_g=100),
        "brie": FoodFactory(groups=["cheese"], nova_group=3, default_portion_g=30, fermented=True),
        "cola": FoodFactory(groups=["sugary_drink"], nova_group=4, added_sugar=True, default_portion_g=330),
        "olive": FoodFactory(groups=["olive_oil"], default_portion_g=10),
    }
