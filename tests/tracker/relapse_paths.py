"""Every path of the relapse check with its words, for the tests that read them on each page."""

import datetime as dt

from tracker.models import Relapse


def episode(patient, started_on, **facts) -> Relapse:
    facts.setdefault("lasted_over_24h", True)
    return Relapse.objects.create(patient=patient, started_on=started_on, symptoms="numb legs", **facts)


# Every path of the relapse check, with its words in English and French: (facts, days after a
# qualifying relapse of 5 January 2026 or None for no earlier relapse, EN headline, EN reasons,
# FR headline, FR reasons).
LABEL_PATHS = {
    "qualifying": (
        {},
        40,
        "Meets the definition of a relapse",
        [],
        "Correspond à la définition d'une poussée",
        [],
    ),
    "fever": (
        {"fever_or_infection": True},
        None,
        "Possible pseudo-relapse",
        ["there was a fever or an infection when it started"],
        "Pseudo-poussée possible",
        ["il y avait de la fièvre ou une infection au début"],
    ),
    "heat": (
        {"heat_exposure": True},
        None,
        "Possible pseudo-relapse",
        ["there was exposure to heat when it started (hot weather, hot bath or shower, sauna, effort)"],
        "Pseudo-poussée possible",
        ["il y avait eu une exposition à la chaleur au début (forte chaleur, bain ou douche chaude, sauna, effort)"],
    ),
    "short": (
        {"lasted_over_24h": False},
        None,
        "A fluctuation (under 24 hours)",
        ["the symptoms lasted less than 24 hours"],
        "Une fluctuation (moins de 24 heures)",
        ["les symptômes ont duré moins de 24 heures"],
    ),
    "duration_unknown": (
        {"lasted_over_24h": None},
        None,
        "Duration not recorded",
        ["whether the symptoms lasted more than 24 hours was not recorded"],
        "Durée non renseignée",
        ["la durée des symptômes (plus ou moins de 24 heures) n'a pas été indiquée"],
    ),
    "within_30": (
        {},
        15,
        "Part of the relapse that began on 5 January 2026",
        ["it began 15 days after the relapse that began on 5 January 2026 (less than 30)"],
        "Fait partie de la poussée commencée le 5 janvier 2026",
        ["l'épisode a commencé 15 jours après la poussée commencée le 5 janvier 2026 (moins de 30)"],
    ),
    "within_30_one_day": (
        {},
        1,
        "Part of the relapse that began on 5 January 2026",
        ["it began 1 day after the relapse that began on 5 January 2026 (less than 30)"],
        "Fait partie de la poussée commencée le 5 janvier 2026",
        ["l'épisode a commencé 1 jour après la poussée commencée le 5 janvier 2026 (moins de 30)"],
    ),
    "within_30_same_day": (
        {},
        0,
        "Part of the relapse that began on 5 January 2026",
        ["it began on the same day as the relapse that began on 5 January 2026"],
        "Fait partie de la poussée commencée le 5 janvier 2026",
        ["l'épisode a commencé le même jour que la poussée commencée le 5 janvier 2026"],
    ),
    "fluctuation_within_30": (
        {"lasted_over_24h": False},
        10,
        "A fluctuation (under 24 hours)",
        [
            "the symptoms lasted less than 24 hours",
            "it began 10 days after the relapse that began on 5 January 2026 (less than 30)",
        ],
        "Une fluctuation (moins de 24 heures)",
        [
            "les symptômes ont duré moins de 24 heures",
            "l'épisode a commencé 10 jours après la poussée commencée le 5 janvier 2026 (moins de 30)",
        ],
    ),
}
FIRST_RELAPSE = dt.date(2026, 1, 5)


def make_label_path(patient, path: str) -> Relapse:
    """The episodes of one label path; returns the episode whose label is checked."""
    facts, days_after, *_words = LABEL_PATHS[path]
    if days_after is None:
        return episode(patient, FIRST_RELAPSE, **facts)
    episode(patient, FIRST_RELAPSE)
    return episode(patient, FIRST_RELAPSE + dt.timedelta(days=days_after), **facts)
