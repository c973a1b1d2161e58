"""The examples in guichet.sla's docstrings are tested too."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import guichet.sla

# Every module of the package (a new module cannot be forgotten here); __main__ would run the CLI.
MODULES = [m.name for m in pkgutil.iter_modules(guichet.sla.__path__) if m.name != "__main__"] + ["__init__"]


def test_the_module_list_is_discovered() -> None:
    assert {"calendar", "clock", "timeline", "zones", "policy", "presets"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module("guichet.sla" if name == "__init__" else f"guichet.sla.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
