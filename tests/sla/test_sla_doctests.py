"""The examples in guichet.sla's docstrings are tested too."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import guichet.sla

# Every module of the core, found on disk: a new one is tested without being listed here.
MODULES = [
    "__init__",
    *sorted(m.name for m in pkgutil.iter_modules(guichet.sla.__path__) if m.name != "__main__"),
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module("guichet.sla" if name == "__init__" else f"guichet.sla.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
