"""The day page's most repeated elements, drawn in Python: the one-tap food chips, the rows of the
foods logged and the labelled form fields.

The day page repeats these dozens of times; drawn by the template engine (an include per element,
a URL reversal per link, an error-list template per field) they were a third of the page's time.
Each function returns escaped HTML (format_html) with the same markup the templates drew; addresses
that differ only by a number are reversed once per page (`Addresses`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from django.forms import BoundField
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from msgut.kept_pages import new_token
from tracker.models import Food, MealItem
from tracker.selectors import MealView
from tracker.templatetags.tracker_tags import default_portion, portion, usual_unit

STAR = SafeString(' <span aria-hidden="true">★</span>')
# A number no row has, reversed in place of a primary key and then replaced by the real one.
PK_STAND_IN = 987654321


def _csrf_input(token: str) -> SafeString:
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


@dataclass
class Addresses:
    """The links of a day's rows, reversed once for the page."""

    day: date

    @cached_property
    def _edit(self) -> str:
        return reverse("tracker:item-edit", args=[PK_STAND_IN])

    @cached_property
    def _delete(self) -> str:
        return reverse("tracker:delete", args=["meal-item", PK_STAND_IN])

    @cached_property
    def _favorite(self) -> str:
        return reverse("tracker:favorite", args=[self.day, PK_STAND_IN])

    def edit(self, item_id: int) -> str:
        return self._edit.replace(str(PK_STAND_IN), str(item_id))

    def delete(self, item_id: int) -> str:
        return self._delete.replace(str(PK_STAND_IN), str(item_id))

    def favorite(self, food_id: int) -> str:
        return self._favorite.replace(str(PK_STAND_IN), str(food_id))


def chips(meal: MealView, favorite_ids: set[int], csrf_token: str) -> SafeString:
    """The meal's one-tap foods: each a form that adds one usual portion (a favourite that is not among
    the meal's recent foods carries a star)."""
    recent = {food.pk for food in meal.recent}
    csrf = _csrf_input(csrf_token)
    add = _("Add")
    return format_html_join(
        "\n",
        "<li>{}</li>",
        (
            (_chip(meal.add_url, food, food.pk in favorite_ids and food.pk not in recent, csrf, add),)
            for food in meal.offers
        ),
    )


def _chip(url: str, food: Food, favourite: bool, csrf: SafeString, add: str) -> SafeString:
    return format_html(
        '<form method="post" action="{url}" hx-post="{url}" hx-disabled-elt="find button" class="chip-form">{csrf}'
        '<input type="hidden" name="food" value="{pk}"><input type="hidden" name="amount" value="1">'
        '<input type="hidden" name="unit" value="{unit}"><input type="hidden" name="token" value="{token}">'
        '<input type="hidden" name="quick" value="1">'
        '<button type="submit" class="chip{fav_class}"><span class="chip-plus" aria-hidden="true">+</span>'
        '<span class="visually-hidden">{add} </span><span class="chip-name">{name}{star}</span>'
        '<span class="chip-portion">{portion}</span></button></form>',
        url=url,
        csrf=csrf,
        pk=food.pk,
        unit=usual_unit(food),
        token=new_token(),
        fav_class=" chip-fav" if favourite else "",
        add=add,
        name=food.display_name,
        star=STAR if favourite else "",
        portion=default_portion(food),
    )


def item_rows(items: Iterable[MealItem], favorite_ids: set[int], links: Addresses, csrf_token: str) -> SafeString:
    """The foods logged in a meal: the name opens the change page, then the favourite star and a delete cross."""
    csrf = _csrf_input(csrf_token)
    change = pgettext("change a logged food", "Change")
    mine = format_html(' <span class="badge">{}</span>', _("mine"))
    return format_html_join(
        "\n", "{}", ((_item_row(item, item.food_id in favorite_ids, links, csrf, change, mine),) for item in items)
    )


def _item_row(
    item: MealItem, favourite: bool, links: Addresses, csrf: SafeString, change: str, mine: SafeString
) -> SafeString:
    name = item.food.display_name
    delete = links.delete(item.pk)
    if favourite:
        star = format_html(
            '<input type="hidden" name="favorite" value="0">'
            '<button type="submit" class="icon-button" aria-pressed="true" aria-label="{}">★</button>',
            _("%(food)s is a favourite (tap to remove)") % {"food": name},
        )
    else:
        star = format_html(
            '<input type="hidden" name="favorite" value="1">'
            '<button type="submit" class="icon-button" aria-pressed="false" aria-label="{}">☆</button>',
            _("Make %(food)s a favourite") % {"food": name},
        )
    favorite_url = links.favorite(item.food_id)
    return format_html(
        '<li id="item-{pk}" class="item">'
        '<a class="item-text item-link" href="{edit}"><span class="visually-hidden">{change} </span>'
        '<span class="item-name">{name}{mine}</span>\n<span class="item-portion">{portion}</span></a>'
        '<span class="item-actions">'
        '<form method="post" action="{favorite}" hx-post="{favorite}" hx-swap="none">{csrf}{star}</form>'
        '<a class="button small danger icon-button" href="{delete}" hx-get="{delete}" hx-target="#item-{pk}" '
        'hx-swap="innerHTML" aria-label="{delete_label}"><span aria-hidden="true">✕</span></a>'
        "</span></li>",
        pk=item.pk,
        edit=links.edit(item.pk),
        change=change,
        name=name,
        mine=mine if item.food.owner_id else "",
        portion=portion(item),
        favorite=favorite_url,
        csrf=csrf,
        star=star,
        delete=delete,
        delete_label=_("Delete %(food)s") % {"food": name},
    )


WIDE_FIELDS = ("note", "other_supplements")


def field_block(field: BoundField) -> SafeString:
    """A labelled field with its help text and errors (a checkbox inside its label)."""
    # An empty error list is drawn as nothing without rendering its template.
    errors = str(field.errors) if field.errors else ""
    if getattr(field.field.widget, "input_type", None) == "checkbox":
        return format_html(
            '<div class="field check">\n<label for="{}" class="check-label">{} {}</label>\n{}</div>',
            field.id_for_label,
            field,
            field.label,
            errors,
        )
    help_text = (
        format_html('<span class="helptext" id="{}_helptext">{}</span>', field.auto_id, field.help_text)
        if field.help_text
        else ""
    )
    return format_html(
        '<div class="field{}">\n<label for="{}">{}</label>\n{}{}\n{}</div>',
        " wide" if field.name in WIDE_FIELDS else "",
        field.id_for_label,
        field.label,
        help_text,
        field,
        errors,
    )
