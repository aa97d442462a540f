"""Every French catalogue in the repository is complete and compiled: no page shows an English string in French."""

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", "staticfiles", "node_modules", ".git"}
MSGFMT = shutil.which("msgfmt") or "/usr/bin/msgfmt"


def po_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.po") if not SKIP_DIRS & set(p.relative_to(ROOT).parts))


def entries(po: Path) -> list[dict[str, object]]:
    """Split a .po file into entries: flags, msgid and the msgstr values (enough for these checks)."""
    found: list[dict[str, object]] = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        flags: list[str] = []
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += [f.strip() for f in line[2:].split(",")]
            elif line.startswith("#"):
                continue
            elif line.startswith(("msgid", "msgstr", "msgctxt")):
                key, _, rest = line.partition(" ")
                current = key
                fields[key] = rest.strip()[1:-1]
            elif line.startswith('"') and current:
                fields[current] += line.strip()[1:-1]
        if "msgid" in fields:
            found.append({"flags": flags, **fields})
    return found


def test_there_are_catalogues_for_the_project_and_the_foundation_apps():
    names = {str(p.relative_to(ROOT)) for p in po_files()}
    assert {
        "locale/fr/LC_MESSAGES/django.po",
        "accounts/locale/fr/LC_MESSAGES/django.po",
        "audit/locale/fr/LC_MESSAGES/django.po",
    } <= names


@pytest.mark.parametrize("po", po_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_is_translated_and_nothing_is_fuzzy(po):
    problems = []
    for entry in entries(po):
        if entry["msgid"] == "" and "msgid_plural" not in entry:
            continue  # the header
        if "fuzzy" in entry["flags"]:  # type: ignore[operator]
            problems.append(f"fuzzy: {entry['msgid']!r}")
        values = [v for k, v in entry.items() if str(k).startswith("msgstr")]
        if not values or any(v == "" for v in values):
            problems.append(f"empty: {entry['msgid']!r}")
    assert problems == [], f"{po}: " + "; ".join(problems)


@pytest.mark.parametrize("po", po_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_catalogue_is_valid_and_its_mo_matches_it(po, tmp_path):
    fresh = tmp_path / "fresh.mo"
    result = subprocess.run(
        [MSGFMT, "--check", "-o", str(fresh), str(po)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    committed = po.with_suffix(".mo")
    assert committed.is_file(), f"{committed} is missing: run compilemessages"
    with committed.open("rb") as c, fresh.open("rb") as f:
        assert gettext.GNUTranslations(c)._catalog == gettext.GNUTranslations(f)._catalog, (  # type: ignore[attr-defined]
            f"{committed} is stale: run compilemessages"
        )
