"""What a kept page's tests compare (msgut.kept_pages)."""

import re

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN = re.compile(r'name="token" value="([^"]*)"')
HX_CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')


def same_page(html: str) -> str:
    """The page with what differs on every response blanked: the CSRF token and one-time form tokens."""
    blanked = TOKEN.sub('name="token" value=""', CSRF.sub('name="csrfmiddlewaretoken" value=""', html))
    header = HX_CSRF.search(html)
    return blanked.replace(header.group(1), "") if header else blanked
