"""The checks before a commit are the checks of `make test`, defined once in the Makefile."""

import re

import yaml

from tests.locks import ROOT


def recipe(target: str) -> tuple[list[str], list[str]]:
    """The prerequisites and the command lines of a Makefile target."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    match = re.search(rf"^{re.escape(target)}:(.*)\n((?:\t.*\n)*)", text, re.MULTILINE)
    assert match, target
    return match.group(1).split(), [line.strip() for line in match.group(2).splitlines()]


def test_make_lint_checks_the_rules_and_the_formatting():
    _needs, lines = recipe("lint")
    assert "$(BIN)/ruff check ." in lines
    assert "$(BIN)/ruff format --check ." in lines


def test_pre_commit_runs_the_lint_and_type_check_steps_of_make_test():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert all(repo["repo"] == "local" for repo in config["repos"]), "no hook environment to download"
    entries = {hook["entry"] for hook in hooks}
    assert entries == {"make lint", "make typecheck"}
    assert all(hook["language"] == "system" and hook["pass_filenames"] is False for hook in hooks)
    # make test runs lint first and the type check (the same command) beside the tests.
    needs, lines = recipe("test")
    assert "lint" in needs
    _typecheck_needs, typecheck = recipe("typecheck")
    assert typecheck == ["$(MYPY)"]
    assert any("$(MYPY)" in line and "$(PYTEST)" in line for line in lines), lines


def test_make_test_fast_runs_everything_but_the_browser_tests():
    _needs, lines = recipe("test-fast")
    (command,) = lines
    assert '-m "not browser"' in command
    assert "$(PYTEST)" in command


def test_the_editorconfig_matches_what_ruff_formats():
    text = (ROOT / ".editorconfig").read_text()
    assert "root = true" in text
    star = text.split("[*]", 1)[1].split("\n[", 1)[0]
    assert "indent_style = space" in star
    assert "indent_size = 4" in star
    assert "end_of_line = lf" in star
