"""requirements.lock pins every dependency pyproject.toml declares, at a version it allows: a
dependency added without `bin/lock` fails here instead of on a fresh clone."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import REPO_ROOT


def _pins() -> dict[str, Version]:
    pins = {}
    for line in (REPO_ROOT / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"requirements.lock: {line!r} is not pinned with =="
        pins[canonicalize_name(name)] = Version(version)
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    declared = [Requirement(spec) for spec in project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        declared += [Requirement(spec) for spec in extra]
    return declared


def test_every_declared_dependency_is_pinned_at_an_allowed_version():
    pins = _pins()
    problems = []
    for requirement in _declared():
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None:
            problems.append(f"{requirement.name} is not in requirements.lock")
        elif not requirement.specifier.contains(pinned, prereleases=True):
            problems.append(f"{requirement.name}=={pinned} does not satisfy {requirement.specifier}")
    assert not problems, "run bin/lock: " + "; ".join(problems)


def test_the_lock_does_not_pin_the_project_itself():
    assert "guichet" not in _pins()
