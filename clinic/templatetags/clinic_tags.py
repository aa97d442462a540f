"""Template helpers of the clinic pages."""

from django import template
from django.utils.safestring import SafeString

from clinic import fragments
from clinic.dashboard import PatientRow
from clinic.selectors import DayRow, MFISRow, RelapseItem

register = template.Library()


@register.simple_tag
def day_table_rows(days: list[DayRow]) -> SafeString:
    """The review page's days (clinic.fragments)."""
    return fragments.day_rows(days)


@register.simple_tag
def patient_rows(rows: list[PatientRow]) -> SafeString:
    """The dashboard's rows (clinic.fragments)."""
    return fragments.patient_rows(rows)


@register.simple_tag
def mfis_table_rows(rows: list[MFISRow]) -> SafeString:
    """The review page's MFIS history (clinic.fragments)."""
    return fragments.mfis_rows(rows)


@register.simple_tag(takes_context=True)
def relapse_timeline(context: template.Context, items: list[RelapseItem], patient_pk: int) -> SafeString:
    """The review page's relapse timeline (clinic.fragments); a clinician's has their reading forms."""
    return fragments.relapse_timeline(
        items, patient_pk, str(context["csrf_token"]) if context.get("is_clinician") else None
    )
