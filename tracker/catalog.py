"""Food catalog helpers: search keys that ignore case and accents."""

import unicodedata


def normalize(text: str) -> str:
    """Lower-case, accent-free text: 'Crème fraîche' -> 'creme fraiche'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def search_key(name_en: str, name_fr: str) -> str:
    return f"{normalize(name_en)} | {normalize(name_fr)}"[:300]
