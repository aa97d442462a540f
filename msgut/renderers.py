"""How form fields are drawn: Django's Jinja2 copies of its own form templates, which render the
same HTML (the Today page was diffed) in about a quarter of the time of the Django template engine;
a page with twenty fields spent most of its template time in them. The admin's own widget
templates (related-object wrappers and the like) exist only for the Django engine, so a template
Jinja2 does not have is drawn by Django's renderer."""

from functools import cached_property
from typing import Any

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template.exceptions import TemplateDoesNotExist


class FormRenderer(BaseRenderer):
    @cached_property
    def _jinja2(self) -> Jinja2:
        return Jinja2()

    @cached_property
    def _django(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return self._jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
