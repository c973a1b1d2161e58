"""The Contract model (guichet/contracts/models.py): what its validation stores."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from guichet.accounts.models import Organisation
from guichet.contracts.models import Contract, Plan, Region


@pytest.mark.django_db
def test_country_and_subdivision_are_stored_as_the_holidays_library_spells_them():
    """Issue 11, defect 4: "on" was shown as "CA-on" on the desk."""
    org = Organisation.objects.create(name="Maple")
    contract = Contract(
        organisation=org,
        reference="Q-M",
        plan=Plan.BASIC,
        region=Region.NORTH_AMERICA,
        time_zone="America/Toronto",
        holiday_country="ca",
        holiday_subdivision="on",
        valid_from=dt.date(2026, 1, 1),
    )
    contract.full_clean()
    assert (contract.holiday_country, contract.holiday_subdivision) == ("CA", "ON")
    contract.holiday_subdivision = "Ontario"  # the library's alias
    contract.full_clean()
    assert contract.holiday_subdivision == "ON"
    contract.holiday_subdivision = "XX"
    with pytest.raises(ValidationError, match="unknown subdivision"):
        contract.full_clean()
