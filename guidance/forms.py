"""The admin's rule form: per-kind parameter validation and the sample-week preview."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from guidance import rules, selectors
from guidance.models import Rule

MAX_RULE_WEIGHT = 100  # the most points the admin may give one rule


class ParamsField(forms.JSONField):
    """A JSON object; a clear message instead of a parse error."""

    default_error_messages: ClassVar = {
        "invalid": _('Enter the parameters as a JSON object, e.g. {"measure": "fiber_g", "target": 25}.'),
    }


class RuleAdminForm(forms.ModelForm[Rule]):
    kind = forms.ChoiceField(label=_("kind"), choices=rules.KIND_CHOICES)
    params = ParamsField(
        label=_("parameters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text=_("A JSON object; its keys depend on the kind. ") + rules.params_help(),
    )

    class Meta:
        model = Rule
        # What a published version keeps of a rule, and whether the rule is in the next one.
        fields: ClassVar = [*selectors.SNAPSHOT_FIELDS, "active"]
        widgets: ClassVar = {"source": forms.TextInput(attrs={"size": 100})}

    # Set by the admin when the "Preview" button was pressed: validate, preview, never save.
    preview_only = False
    preview_rows: list[dict[str, Any]] | None = None

    def clean_weight(self) -> float:
        weight = self.cleaned_data["weight"]
        if weight is None or not 0 <= weight <= MAX_RULE_WEIGHT:
            raise forms.ValidationError(_("The weight must be between 0 and 100 points."))
        return float(weight)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind and "params" not in self.errors:
            cleaned, errors = rules.validate_params(kind, data.get("params") or {})
            if errors:
                self.add_error("params", errors)
            else:
                data["params"] = cleaned
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
            try:
                self.preview_rows = rules.preview(current, proposed, self.cleaned_data["key"])
            except ValueError as error:  # a combination the per-kind forms let through
                self.add_error(None, str(error))
            return False  # re-render the form with the preview, save nothing
        return valid
