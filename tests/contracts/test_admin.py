"""The contracts admin: the terms of a contract some ticket already uses are frozen."""

from __future__ import annotations

from tests.factories import open_for


def test_admin_freezes_terms_of_a_contract_in_use(agent, basic_customer, rf):
    from django.contrib.admin.sites import site

    from guichet.contracts.models import Contract

    contract = Contract.objects.get(organisation=basic_customer.organisation)
    model_admin = site._registry[Contract]
    assert model_admin.get_readonly_fields(rf.get("/"), contract) == ()
    open_for(agent, basic_customer, "P3")
    frozen = model_admin.get_readonly_fields(rf.get("/"), contract)
    assert "plan" in frozen and "valid_until" not in frozen
