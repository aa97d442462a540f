"""The clinical relapse definition applied to a patient's relapse rows (tracker.measures owns the rule)."""

from collections.abc import Iterable
from typing import Any

from tracker.measures import Episode, relapse_checks


def check_relapses(relapses: Iterable[Any]) -> dict[int, Any]:
    """tracker.measures.RelapseCheck per relapse id; each relapse is compared with the one before it."""
    episodes = [
        Episode(
            key=r.pk,
            started_on=r.started_on,
            lasted_over_24h=r.lasted_over_24h,
            fever_or_infection=r.fever_or_infection,
        )
        for r in relapses
    ]
    return relapse_checks(episodes)  # type: ignore[return-value]
