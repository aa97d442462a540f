"""Reading the requirement locks and pyproject.toml, for the tests about the image and the venv."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_LOCK = ROOT / "requirements" / "runtime.lock"
DEV_LOCK = ROOT / "requirements" / "dev.lock"


def lock_entries(path: Path) -> dict[str, tuple[Requirement, list[str]]]:
    """Each pinned package of a lock: its requirement (name, ==version, marker) and its hashes."""
    entries: dict[str, tuple[Requirement, list[str]]] = {}
    for block in path.read_text().replace("\\\n", " ").splitlines():
        if not block.strip() or block.lstrip().startswith("#"):
            continue
        spec, *options = block.split(" --")
        requirement = Requirement(spec.strip())
        hashes = [option.removeprefix("hash=").strip() for option in options if option.startswith("hash=")]
        entries[canonicalize_name(requirement.name)] = (requirement, hashes)
    return entries


def pinned_versions(path: Path) -> dict[str, str]:
    out = {}
    for name, (requirement, _hashes) in lock_entries(path).items():
        (specifier,) = requirement.specifier
        out[name] = specifier.version
    return out


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def declared(group: str | None = None) -> set[str]:
    """Names of pyproject.toml's runtime dependencies, or of one optional group (`dev`)."""
    project = pyproject()["project"]
    specs = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return {canonicalize_name(Requirement(spec).name) for spec in specs}
