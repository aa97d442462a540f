"""What the admin's rule change form posts, for the tests that drive it."""

from guidance.models import Rule


def rule_post(rule: Rule, params: dict | None = None, **changes) -> dict:
    """The change form's data: the rule's fields and one typed field per parameter of its kind."""
    data = {
        "key": rule.key,
        "kind": rule.kind,
        "params_for": rule.kind,
        "weight": rule.weight,
        "active": "on" if rule.active else "",
        "order": rule.order,
        "title_en": rule.title_en,
        "title_fr": rule.title_fr,
        "rationale_en": rule.rationale_en,
        "rationale_fr": rule.rationale_fr,
        "source": rule.source,
    }
    for name, value in (rule.params if params is None else params).items():
        data[f"param-{name}"] = ("on" if value else "") if isinstance(value, bool) else value
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}
