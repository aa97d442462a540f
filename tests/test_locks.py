"""Two locks generated from pyproject.toml: the runtime lock for the image, the dev lock for
the venv that `make run` and `make test` create; tests run on the versions the image ships."""

import re

from tests.locks import DEV_LOCK, ROOT, RUNTIME_LOCK, declared, lock_entries, pinned_versions


def makefile() -> str:
    return (ROOT / "Makefile").read_text()


def test_both_locks_say_how_they_are_regenerated():
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        header = lock.read_text().splitlines()[:2]
        assert header[1].strip() == "#    make lock", lock
    assert re.search(r"^lock: ", makefile(), re.MULTILINE)


def test_each_lock_pins_what_pyproject_declares_with_hashes():
    runtime, dev = lock_entries(RUNTIME_LOCK), lock_entries(DEV_LOCK)
    assert declared() <= set(runtime)
    assert declared() | declared("dev") <= set(dev)
    for entries in (runtime, dev):
        for name, (requirement, hashes) in entries.items():
            assert str(requirement.specifier).startswith("=="), name
            assert hashes, name


def test_the_dev_lock_has_every_runtime_package_at_the_same_version():
    runtime, dev = pinned_versions(RUNTIME_LOCK), pinned_versions(DEV_LOCK)
    assert {name: dev.get(name) for name in runtime} == runtime


def test_the_venv_installs_the_dev_lock_hash_checked_and_again_when_it_changes():
    text = makefile()
    assert "DEV_LOCK := requirements/dev.lock" in text
    assert re.search(r"^STAMP := .*cksum \$\(DEV_LOCK\)", text, re.MULTILINE)
    assert re.search(r"^\$\(STAMP\): \$\(DEV_LOCK\)$", text, re.MULTILINE)
    assert "--require-hashes -r $(DEV_LOCK)" in text
    assert not (ROOT / "requirements.lock").exists(), "the single lock was replaced by the two"
