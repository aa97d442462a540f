"""Form widgets."""

from functools import lru_cache
from typing import Any

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


def _attrs_html(attrs: dict[str, Any]) -> SafeString:
    """What django/forms/widgets/attrs.html renders."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value)))
    return mark_safe("".join(parts))  # noqa: S308  # every part went through format_html


@lru_cache(maxsize=4096)
def _plain_option(value: str, label: str) -> SafeString:
    """An option without attributes whose label is plain text (a time zone's name): always the same HTML."""
    return format_html('\n  <option value="{}">{}</option>\n', value, label)


class QuickSelect(forms.Select):
    """Django's Select, its HTML byte for byte, with the options written in Python instead of one
    template include each. The settings page's time-zone list has about 430 options: through the
    templates they were most of the page's time (about 0.13 s of CPU a page, 0.005 s now).
    tests/accounts/test_widgets.py compares the two renderings."""

    template_name = "accounts/widgets/quick_select.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        html = []
        # As django/forms/widgets/select.html and select_option.html lay them out.
        for group_name, group_choices, _index in context["widget"]["optgroups"]:
            if group_name:
                html.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in group_choices:
                if not option["attrs"] and type(option["label"]) is str:
                    html.append(_plain_option(str(option["value"]), option["label"]))
                    continue
                html.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',
                        str(option["value"]),
                        _attrs_html(option["attrs"]),
                        conditional_escape(option["label"]),
                    )
                )
            if group_name:
                html.append(mark_safe("\n  </optgroup>"))
        context["widget"]["options_html"] = mark_safe("".join(html))  # noqa: S308  # parts escaped above
        return context
