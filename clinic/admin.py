"""Admins manage consent wordings only: grants and notes are about patients' health, not admin pages."""

from django.contrib import admin

from clinic.models import ConsentWording


@admin.register(ConsentWording)
class ConsentWordingAdmin(admin.ModelAdmin[ConsentWording]):
    list_display = ("version", "published_at")
    ordering = ("-version",)

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # A published wording is frozen: grants point to it. Publish a new version instead.
        return ["version", "text_en", "text_fr", "published_at"] if obj else []

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
