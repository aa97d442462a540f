"""Why each rule exists: a plain-text rationale page per rule, in the active language."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from guidance import rules, selectors
from guidance.models import Rule


def _localized(spec: dict[str, Any], language: str) -> dict[str, Any]:
    rationale = selectors.rationale_text(spec, language)
    return {
        "key": spec["key"],
        "title": rules.rule_title(spec, language),
        "rationale": rationale,
        # The list shows the first paragraph; the rule's page shows it all.
        "summary": rationale.strip().split("\n\n")[0],
        "source": spec.get("source", ""),
        "weight": spec.get("weight"),
    }


@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    version = selectors.current_version()
    language = (get_language() or "en")[:2]
    specs = [_localized(spec, language) for spec in (selectors.version_specs(version) if version else [])]
    return render(request, "guidance/rules.html", {"rules": specs, "version": version})


@require_GET
def rule_detail(request: HttpRequest, key: str) -> HttpResponse:
    """The rule as published (the current version first, else the newest version that had it)."""
    language = (get_language() or "en")[:2]
    version = selectors.current_version()
    spec = next((s for s in (selectors.version_specs(version) if version else []) if s["key"] == key), None)
    if spec is None:
        rule = Rule.objects.filter(key=key).first()
        if rule is None:
            raise Http404
        spec = selectors.rule_snapshot(rule)
    return render(request, "guidance/rule.html", {"rule": _localized(spec, language), "version": version})
