"""The examples in guichet.sla's docstrings are tested too."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "calendar",
    "clock",
    "cli",
    "errors",
    "explain",
    "holidays_source",
    "policy",
    "presets",
    "__init__",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module("guichet.sla" if name == "__init__" else f"guichet.sla.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
