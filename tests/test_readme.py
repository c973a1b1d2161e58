"""The README documents the two commands CI relies on and every setting the environment can change."""

from __future__ import annotations

import re

from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def test_every_environment_variable_of_the_settings_is_in_the_readme_table():
    source = (REPO_ROOT / "guichet" / "settings.py").read_text()
    reads = r"""(?:os\.environ\.get|env_bool|env_list|env_int)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
    names = set(re.findall(reads, source))
    assert len(names) > 20, names  # the pattern still finds the settings' variables
    table = "\n".join(line for line in README.splitlines() if line.startswith("| `"))
    undocumented = sorted(name for name in names if f"`{name}`" not in table)
    assert not undocumented, f"add to README's Configuration table: {undocumented}"


def test_ci_runs_the_readme_test_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    assert "bin/test" in ci
    assert re.search(r"^bin/test$", README, re.MULTILINE)
    assert re.search(r"^bin/run$", README, re.MULTILINE)
