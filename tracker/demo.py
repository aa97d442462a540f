"""Demo data for tracker; called by `manage.py load_demo`."""

from typing import Any


def load(users: dict[str, Any], out: Any) -> None:
    """Create this feature's demo data for the demo users. Must be safe to run twice."""
