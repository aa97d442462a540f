"""The admin's rule form: typed parameter fields per kind, rationale checks and the sample-week preview."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from guidance import rules, selectors
from guidance.models import Rule

# The typed fields of a kind's parameters are named "param-<name>": the kind's own params form,
# bound with this prefix, reads the same POST data and runs its cross-field checks.
PARAMS_PREFIX = "param"
MAX_RULE_WEIGHT = 100  # the most points the admin may give one rule


def param_field_name(name: str) -> str:
    return f"{PARAMS_PREFIX}-{name}"


def kind_for(data: Mapping[str, Any] | None, initial: Mapping[str, Any] | None, instance: Rule | None) -> str:
    """The kind whose parameter fields the form shows: as posted, else as asked (?kind=), else the rule's own."""
    for source in (data, initial):
        kind = str((source or {}).get("kind") or "")
        if kind in rules.PARAMS_FORMS:
            return kind
    if instance is not None and instance.kind in rules.PARAMS_FORMS:
        return instance.kind
    return rules.KIND_CHOICES[0][0]


def _plain_number(value: Any) -> Any:
    """30.0 shows as 30 in a field (the form stores floats)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def param_names(kind: str) -> list[str]:
    """The kind's parameters, its own first and the options every kind shares (waived on relapse days) last."""
    shared = rules.BaseParamsForm.base_fields
    names = list(rules.PARAMS_FORMS[kind].base_fields)
    return [name for name in names if name not in shared] + [name for name in names if name in shared]


def param_field_names(kind: str) -> list[str]:
    return [param_field_name(name) for name in param_names(kind)]


class RuleAdminForm(forms.ModelForm[Rule]):
    kind = forms.ChoiceField(
        label=capfirst(_("kind")),
        choices=rules.KIND_CHOICES,
        help_text=_("After choosing another kind, press “Save as draft”: its parameters appear below to fill in."),
    )
    # The kind whose parameter fields were on the page: a different posted kind means "show me its fields".
    params_for = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Rule
        # What a published version keeps of a rule (the parameters come from the typed fields), and
        # whether the rule is in the next version.
        fields: ClassVar = [*(name for name in selectors.SNAPSHOT_FIELDS if name != "params"), "active"]
        widgets: ClassVar = {"source": forms.TextInput(attrs={"size": 100})}

    # Set by the admin when the "Preview" button was pressed: validate, preview, never save.
    preview_only = False
    preview_rows: list[dict[str, Any]] | None = None
    preview_rationales: dict[str, str] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance if self.instance.pk else None
        self.params_kind = kind_for(self.data if self.is_bound else None, self.initial, instance)
        self.fields["params_for"].initial = self.params_kind
        stored = self.instance.params if instance is not None and instance.kind == self.params_kind else {}
        self.initial_params: dict[str, Any] = dict(stored) if isinstance(stored, Mapping) else {}
        # (field label, parameter, former value) for each rationale that still writes a changed number.
        self.stale_numbers: list[tuple[Any, str, Any]] = []
        for name in param_names(self.params_kind):
            typed = copy.deepcopy(rules.PARAMS_FORMS[self.params_kind].base_fields[name])
            typed.label = capfirst(typed.label)
            if isinstance(stored, Mapping) and name in stored:
                typed.initial = _plain_number(stored[name])
            self.fields[param_field_name(name)] = typed
        if "weight" in self.initial:
            self.initial["weight"] = _plain_number(self.initial["weight"])
        # The kind changed since the page was drawn: the new kind's fields are shown, to be filled in.
        self.kind_switched = self.is_bound and self.data.get("params_for") not in ("", None, self.params_kind)

    def full_clean(self) -> None:
        super().full_clean()
        if self.kind_switched:
            errors = self.errors  # filled by full_clean above
            for name in param_field_names(self.params_kind):
                errors.pop(name, None)
            errors.pop("params_for", None)
            self.add_error(None, _("The kind changed: fill in its parameters below, then save."))

    def clean_weight(self) -> float:
        weight = self.cleaned_data["weight"]
        if weight is None or not 0 <= weight <= MAX_RULE_WEIGHT:
            raise forms.ValidationError(_("The weight must be between 0 and 100 points."))
        return float(weight)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.kind_switched or data.get("kind") != self.params_kind:
            return data
        params_form = rules.PARAMS_FORMS[self.params_kind](self.data, prefix=PARAMS_PREFIX)
        if not params_form.is_valid():
            for name, errors in params_form.errors.items():
                self.add_error(None if name == "__all__" else param_field_name(name), errors)
            return data
        params, problems = rules.validate_params(self.params_kind, params_form.cleaned_data)
        if problems:
            self.add_error(None, problems)
            return data
        data["params"] = params
        self.instance.params = params  # not a form field: the typed fields are its editor
        spec = {"params": params, "weight": data.get("weight")}
        before = {**(self.initial_params or {}), "weight": self.initial.get("weight")} if self.instance.pk else {}
        self.stale_numbers = []
        for name in ("rationale_en", "rationale_fr"):
            text = data.get(name)
            if text is None:
                continue
            for param in selectors.stale_numbers(text, before, {**params, "weight": data.get("weight")}):
                self.stale_numbers.append((self.fields[name].label, param, before[param]))
            for problem in selectors.rationale_problems(text, spec):
                self.add_error(name, problem)
        return data

    def proposed_specs(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The published rules, and the same with this form's change applied."""
        version = selectors.current_version()
        current = selectors.version_specs(version) if version else []
        data = self.cleaned_data
        changed = {name: data.get(name) for name in selectors.SNAPSHOT_FIELDS}
        old_key = self.instance.key if self.instance.pk else None
        proposed = [spec for spec in current if spec["key"] not in {old_key, changed["key"]}]
        if data.get("active"):
            proposed.append(changed)
            proposed.sort(key=lambda spec: (spec.get("order", 0), spec["key"]))
        return current, proposed

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid and self.preview_only:
            current, proposed = self.proposed_specs()
            changed = {name: self.cleaned_data.get(name) for name in selectors.SNAPSHOT_FIELDS}
            self.preview_rationales = {code: selectors.rationale_text(changed, code) for code in ("en", "fr")}
            try:
                self.preview_rows = rules.preview(current, proposed, self.cleaned_data["key"])
            except ValueError as error:  # a combination the per-kind forms let through
                self.add_error(None, str(error))
            return False  # re-render the form with the preview, save nothing
        return valid
