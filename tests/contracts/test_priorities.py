"""The priority definitions (guichet/contracts/priorities.py, R-PRIO-1..4)."""

from __future__ import annotations

from guichet.contracts import priorities
from guichet.contracts.models import Priority


def test_R_PRIO_1_to_4_definitions_and_examples_in_one_place():
    assert set(priorities.PRIORITIES) == set(Priority.values)
    for info in priorities.PRIORITIES.values():
        assert str(info.definition) and str(info.example) and str(info.label).startswith(info.code)
    assert "MFA" in str(priorities.info("P1").example) and "MFA" in str(priorities.info("P3").example)
    assert priorities.info("P1").needs_phone and not priorities.info("P2").needs_phone
    assert [p for p, i in priorities.PRIORITIES.items() if i.needs_confirmation] == ["P1", "P2"]
