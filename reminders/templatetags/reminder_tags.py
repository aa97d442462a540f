from typing import Any

from django import template

from accounts.models import User
from reminders import channels, selectors

register = template.Library()


@register.inclusion_tag("reminders/includes/settings_card.html")
def reminders_card(user: User) -> dict[str, Any]:
    """The Settings page's "Reminders" card: what is on, in one line, and the way to change it (patients only)."""
    if not user.is_authenticated or not user.is_patient:
        return {"show": False}
    preference = selectors.preference_of(user)
    push_on = channels.push_available()
    return {
        "show": True,
        "preference": preference,
        "daily": preference.daily_email or (push_on and preference.daily_push),
        "weekly": preference.weekly_email or (push_on and preference.weekly_push),
    }
