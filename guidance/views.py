"""Why each rule exists: a plain-text rationale page per rule, in the active language."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from guidance import rules, selectors
from guidance.models import Rule, RuleSetVersion


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


MAX_VERSION_DIGITS = 9  # a version number fits an int column; longer input is a 404


@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    """The published rules; `?version=N` shows an earlier version (a day scored by it links here)."""
    current = selectors.current_version()
    version = current
    asked = request.GET.get("version", "")
    if asked:
        if not asked.isdigit() or len(asked) > MAX_VERSION_DIGITS:
            raise Http404
        version = RuleSetVersion.objects.filter(number=int(asked)).first()
        if version is None:
            raise Http404
    language = (get_language() or "en")[:2]
    specs = [_localized(spec, language) for spec in (selectors.version_specs(version) if version else [])]
    context = {"rules": specs, "version": version, "current": current}
    return render(request, "guidance/rules.html", context)


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
