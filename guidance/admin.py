"""Rule editing for admins: per-kind validation, a sample-week preview, publishing versions."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from guidance import rules, selectors, services
from guidance.forms import RuleAdminForm, kind_for, param_field_names, param_names
from guidance.models import Rule, RuleSetVersion


def is_rule_admin(user: Any) -> bool:
    """Admins (the role) edit guidance rules; clinicians and patients never do."""
    return bool(user.is_active and user.is_staff and (getattr(user, "role", "") == "admin" or user.is_superuser))


class AdminsOnly:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_rule_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_rule_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_rule_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_rule_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_rule_admin(request.user)


def publish_and_report(request: HttpRequest, note: str) -> RuleSetVersion:
    version = services.publish(user=request.user if request.user.is_authenticated else None, note=note)
    version.refresh_from_db()
    # No figure here: the rescore starts when this request's transaction commits, so any count read
    # now is already out of date on the page the admin lands on, which shows the progress itself.
    messages.success(
        request,
        _("Published rule set v%(number)s. Every stored day is rescored in the background; the progress shows below.")
        % {"number": version.number},
    )
    return version


@admin.register(Rule)
class RuleAdmin(AdminsOnly, admin.ModelAdmin[Rule]):
    form = RuleAdminForm
    list_display = ("title_en", "key", "kind_label", "weight", "active", "order", "updated_at")
    list_display_links = ("title_en", "key")
    list_filter = ("active", "kind")
    search_fields = ("key", "title_en", "title_fr")
    ordering = ("order", "key")
    # (a search shows "n results", not also "of m in all": one count of the table less per list)
    show_full_result_count = False
    actions = ("publish_rule_set",)
    readonly_fields = ("params_json",)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj: Rule) -> str:
        return str(rules.KIND_LABELS.get(obj.kind, obj.kind))

    @admin.display(description=_("parameters as saved (JSON, read-only)"))
    def params_json(self, obj: Rule) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.params or {}, indent=2, sort_keys=True))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        """The typed fields of the kind on the page: as posted, else ?kind= on the add page, else the rule's."""
        kind = kind_for(request.POST if request.method == "POST" else None, request.GET, obj)
        fields = rules.PARAMS_FORMS[kind].base_fields
        offered = [name for name in param_names(kind) if not isinstance(fields[name], forms.BooleanField)]
        names = ", ".join("{" + name + "}" for name in [*offered, "weight"])
        return (
            (None, {"fields": ("key", "title_en", "title_fr", "kind", "weight", "active", "order")}),
            (
                _("Parameters"),
                {"fields": (*param_field_names(kind), "params_for", "params_json")},
            ),
            (
                _("Why (shown to patients)"),
                {
                    "fields": ("rationale_en", "rationale_fr", "source"),
                    "description": _(
                        "Write numbers that come from the parameters as placeholders, so an edit reaches the "
                        "text: %(names)s (a parameter left empty has none). Write {{ or }} for a brace."
                    )
                    % {"names": names},
                },
            ),
        )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        # The form's own field list: the typed parameter fields are added per kind when it is built.
        kwargs["fields"] = None
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if request.method == "POST" and "_preview" in request.POST:
            return type("RulePreviewForm", (form_class,), {"preview_only": True})
        return form_class

    def get_urls(self) -> list[URLPattern]:
        custom = [path("publish/", self.admin_site.admin_view(self.publish_view), name="guidance_rule_publish")]
        return custom + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        version = selectors.current_version()
        context = {
            "current_version": version,
            "rescore_progress": selectors.rescore_progress(version) if version else "",
            "unpublished": selectors.has_unpublished_changes(version),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def response_add(self, request: HttpRequest, obj: Rule, post_url_continue: str | None = None) -> HttpResponse:
        if "_publish" in request.POST:
            publish_and_report(request, f"Added rule {obj.key}")
            return HttpResponseRedirect(reverse("admin:guidance_rule_changelist"))
        self._remind_to_publish(request)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: Rule) -> HttpResponse:
        if "_publish" in request.POST:
            publish_and_report(request, f"Changed rule {obj.key}")
            return HttpResponseRedirect(reverse("admin:guidance_rule_changelist"))
        self._remind_to_publish(request)
        return super().response_change(request, obj)

    def save_model(self, request: HttpRequest, obj: Rule, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        for label, param, value in getattr(form, "stale_numbers", []):
            messages.warning(
                request,
                _("%(field)s still writes %(value)s, the former value of {%(param)s}: write {%(param)s} instead.")
                % {"field": capfirst(label), "value": selectors.format_number(value), "param": param},
            )

    def _remind_to_publish(self, request: HttpRequest) -> None:
        messages.warning(request, _("Saved as a draft: patients' scores change only once you publish the rule set."))

    @admin.action(description=_("Publish the rule set (all active rules) and rescore every stored day"))
    def publish_rule_set(self, request: HttpRequest, queryset: QuerySet[Rule]) -> None:
        publish_and_report(request, "Published from the rule list")

    def publish_view(self, request: HttpRequest) -> HttpResponse:
        return require_http_methods(["GET", "POST"])(lambda req: _publish_view(self, req))(request)


def _publish_view(model_admin: RuleAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_change_permission(request):
        return redirect("admin:index")
    if request.method == "POST":
        note = (request.POST.get("note") or "").replace("\x00", "")[:300]
        publish_and_report(request, note or "Published from the rule list")
        return redirect("admin:guidance_rule_changelist")
    version = selectors.current_version()
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Publish the rule set"),
        "current_version": version,
        "unpublished": selectors.has_unpublished_changes(version),
        "active_rules": selectors.active_rule_snapshots(),
    }
    return TemplateResponse(request, "admin/guidance/rule/publish.html", context)


@admin.register(RuleSetVersion)
class RuleSetVersionAdmin(AdminsOnly, admin.ModelAdmin[RuleSetVersion]):
    """Published versions are frozen: readable forever, never edited or deleted."""

    list_display = ("__str__", "published_at", "published_by", "note", "rule_count", "rescore_progress")
    fields = ("number", "published_at", "published_by", "note", "rescore_progress", "rules_table")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("rules"))
    def rule_count(self, obj: RuleSetVersion) -> int:
        return len(obj.rules)

    @admin.display(description=_("rescore of stored days"))
    def rescore_progress(self, obj: RuleSetVersion) -> str:
        if obj.rescore_finished_at:
            return str(_("Done (%(when)s)") % {"when": obj.rescore_finished_at.strftime("%Y-%m-%d %H:%M")})
        return selectors.rescore_progress(obj)

    @admin.display(description=_("rules in this version"))
    def rules_table(self, obj: RuleSetVersion) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            (
                (
                    spec.get("key"),
                    spec.get("title_en"),
                    spec.get("kind"),
                    spec.get("weight"),
                    json.dumps(spec.get("params")),
                )
                for spec in obj.rules
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("key"),
            _("title"),
            _("kind"),
            _("weight"),
            _("parameters"),
            rows,
        )
