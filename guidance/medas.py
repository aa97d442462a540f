"""The MEDAS servings in the instrument's own grams (pure: no Django import).

MEDAS is the 14-item Mediterranean Diet Adherence Screener of the PREDIMED trial
(Schröder H. et al., "A short screener is valid for assessing Mediterranean diet adherence
among older Spanish men and women", J Nutr 2011;141:1140-5, Table 1, and the PREDIMED
study protocol). Where the screener gives a serving in grams, that is the serving used here;
where it counts pieces, drinks or times, the grams below are our stated reading of one
such piece, drink or time. A catalog food's household portion is only a logging aid: the
grams a patient logs are divided by these servings for every MEDAS item.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHRODER = "Schröder et al., J Nutr 2011;141:1140 (MEDAS, PREDIMED)"


@dataclass(frozen=True)
class MedasServing:
    measure: str  # the grams measure of the facts frame it divides
    grams: float  # one serving of the item, in grams (millilitres for drinks)
    source: str  # where the number comes from


# A tablespoon of olive oil: USDA FoodData Central (olive oil, 1 tbsp = 13.5 g), the weight PREDIMED's
# "4 tablespoons a day" is read with.
OLIVE_OIL_TABLESPOON_G = 13.5

MEDAS_SERVINGS: dict[str, MedasServing] = {
    "olive_oil_4_tbsp": MedasServing(
        "olive_oil_g", OLIVE_OIL_TABLESPOON_G, "1 tablespoon = 13.5 g (USDA FoodData Central); MEDAS item 2"
    ),
    # "1 serving = 200 g (side dishes count as half a serving)"; one of the two raw or as salad.
    "vegetables_2_one_raw": MedasServing("vegetable_g", 200.0, f"{SCHRODER}, item 3: 1 serving = 200 g"),
    "raw_vegetable": MedasServing("raw_vegetable_g", 200.0, f"{SCHRODER}, item 3: 1 serving = 200 g"),
    # The screener counts fruit units; a medium apple, orange, pear or banana weighs 120-180 g
    # (USDA household measures): one unit is read as 150 g.
    "fruit_3": MedasServing("fruit_g", 150.0, f"{SCHRODER}, item 4 counts units; 1 unit read as 150 g"),
    # "1 serving = 100-150 g": the lower bound, so that a large steak counts as more than one.
    "red_meat_under_1": MedasServing("red_processed_meat_g", 100.0, f"{SCHRODER}, item 5: 1 serving = 100-150 g"),
    "butter_cream_under_1": MedasServing("butter_cream_g", 12.0, f"{SCHRODER}, item 6: 1 serving = 12 g"),
    # The screener counts sweet or carbonated drinks; one drink is read as a 200 ml glass.
    "sugary_drinks_under_1": MedasServing(
        "sugary_drink_g", 200.0, f"{SCHRODER}, item 7 counts drinks; 1 drink read as a 200 ml glass"
    ),
    "legumes_3": MedasServing("legume_g", 150.0, f"{SCHRODER}, item 9: 1 serving = 150 g"),
    # "1 serving = 100-150 g of fish, 4-5 units or 200 g of shellfish": the lower bound for fish.
    "fish_3": MedasServing("fish_seafood_g", 100.0, f"{SCHRODER}, item 10: 1 serving = 100-150 g of fish"),
    # The screener counts times (cakes, biscuits, pastries); one time is read as 50 g, a pastry or 4-5 biscuits.
    "sweets_under_3": MedasServing("sweets_pastries_g", 50.0, f"{SCHRODER}, item 11 counts times; 1 time read as 50 g"),
    "nuts_3": MedasServing("nuts_g", 30.0, f"{SCHRODER}, item 12: 1 serving = 30 g"),
    # Item 13 compares white meat with red meat and sausages: both at the red-meat serving.
    "white_meat": MedasServing("white_meat_g", 100.0, f"{SCHRODER}, item 13 (as item 5: 100 g)"),
    # The screener counts dishes seasoned with sofrito; one dish's share of sofrito sauce is read as 100 g.
    "sofrito_2": MedasServing("sofrito_g", 100.0, f"{SCHRODER}, item 14 counts dishes; 1 dish read as 100 g"),
}

# The grams measures the table divides, and the fats item 1 compares (olive oil against the others).
MAIN_FAT_OTHERS: tuple[str, ...] = ("other_veg_oil_g", "butter_cream_g", "animal_fat_g")
GRAM_MEASURES: tuple[str, ...] = tuple(
    dict.fromkeys([serving.measure for serving in MEDAS_SERVINGS.values()] + list(MAIN_FAT_OTHERS))
)


def serving_grams(item: str) -> float:
    return MEDAS_SERVINGS[item].grams
