"""Administration screens: organisations, contracts with target overrides, holidays, people, calendar."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse

from guichet.accounts.models import Organisation, Person
from guichet.contracts.models import Contract, HolidayOverride


def refused(response) -> bool:
    """A refused form comes back as the page itself (200, so browsers log no error) with the reason shown."""
    html = response.content.decode()
    return response.status_code == 200 and ('class="errors"' in html or 'class="errorlist' in html)


def contract_data(**changes) -> dict:
    data = {
        "reference": "Q-2026-1",
        "plan": "premium",
        "hours": "default",
        "region": "worldwide",
        "time_zone": "Europe/Paris",
        "holiday_country": "fr",
        "holiday_subdivision": "",
        "valid_from": "2026-01-01",
        "valid_until": "",
        "target_P1": "20",
    }
    return data | changes


def test_create_organisation_and_contract_with_a_target_override(client, world):
    client.force_login(world.admin)
    response = client.post(reverse("manage_organisation_new"), {"name": "New Co", "email_domain": "new.test"})
    org = Organisation.objects.get(name="New Co")
    assert response.url == reverse("manage_organisation", args=[org.pk])
    response = client.post(reverse("manage_contract_new", args=[org.pk]), contract_data())
    contract = Contract.objects.get(organisation=org)
    assert response.url == reverse("manage_contract", args=[contract.pk])
    assert contract.target_overrides == {"P1": 20} and contract.holiday_country == "FR"
    page = client.get(response.url).content.decode()
    assert "20 min" in page and "override" in page


def test_bad_contract_is_refused_and_nothing_saved(client, world):
    client.force_login(world.admin)
    org = Organisation.objects.create(name="Bad Co")
    response = client.post(
        reverse("manage_contract_new", args=[org.pk]), contract_data(time_zone="Mars/Olympus")
    )
    assert refused(response) and not Contract.objects.filter(organisation=org).exists()
    response = client.post(
        reverse("manage_contract_new", args=[org.pk]), contract_data(valid_until="2025-01-01")
    )
    assert refused(response) and not Contract.objects.filter(organisation=org).exists()


def test_holiday_override_and_calendar_preview(client, world):
    client.force_login(world.admin)
    contract = world.basic.contracts.get()
    client.post(
        reverse("manage_holiday_add", args=[contract.pk]),
        {"date": "2026-11-24", "name": "Company day", "closed": "on"},
    )
    assert HolidayOverride.objects.filter(contract=contract, name="Company day").exists()
    html = client.get(
        reverse("manage_calendar", args=[contract.pk]) + "?week=2026-11-25&priority=P1"
    ).content.decode()
    # Basic P1 runs 8x5 worldwide: 09:00–17:00 on Monday, the override closes Tuesday.
    assert html.count("09:00–17:00") == 4
    assert "Company day" in html
    premium = world.premium.contracts.get()
    html = client.get(
        reverse("manage_calendar", args=[premium.pk]) + "?week=2026-11-25&priority=P1"
    ).content.decode()
    assert html.count("00:00–24:00") == 7  # Premium P1: 24x7


def test_people_and_roles(client, world):
    client.force_login(world.admin)
    data = {
        "username": "newagent",
        "first_name": "N",
        "last_name": "A",
        "email": "n@example.test",
        "role": "agent",
        "organisation": "",
        "language": "fr",
        "time_zone": "Europe/Paris",
        "phone": "",
        "is_active": "on",
        "password": "a long enough password 123",
    }
    assert client.post(reverse("manage_person_new"), data).status_code == 302
    person = Person.objects.get(username="newagent")
    assert person.role == "agent" and person.check_password("a long enough password 123")
    # A customer without an organisation is refused by the model's constraint.
    bad = data | {"username": "lost", "role": "customer"}
    assert refused(client.post(reverse("manage_person_new"), bad))
    assert not Person.objects.filter(username="lost").exists()


def test_issue_11_defect_1_a_contract_saved_in_french_keeps_its_dates(client, world):
    """French rendered the dates as 01/11/2026: <input type=date> showed them empty, and saving the
    form (say after retyping the start date) erased "valid until"."""
    from tests.web.browser_form import submitted

    contract = world.premium.contracts.get()
    contract.valid_from, contract.valid_until = dt.date(2026, 11, 1), dt.date(2027, 10, 31)
    contract.save()
    before = Contract.objects.filter(pk=contract.pk).values().get()
    world.admin.language = "fr"
    world.admin.save()
    client.force_login(world.admin)
    url = reverse("manage_contract", args=[contract.pk])
    page = client.get(url)
    assert '<html lang="fr">' in page.content.decode()
    form = submitted(page.content.decode())
    assert form.shown_dates == {"valid_from": "2026-11-01", "valid_until": "2027-10-31"}
    fields = dict(form.fields) | {"valid_from": "2026-11-01"}  # the start date retyped
    response = client.post(url, fields)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert Contract.objects.filter(pk=contract.pk).values().get() == before


def test_issue_11_defect_8_target_overrides_are_one_labelled_group_of_fields(client, world):
    """They rendered as one jumbled row of labels and inputs: each is now its own field in a group."""
    client.force_login(world.admin)
    html = client.get(reverse("manage_contract", args=[world.premium.contracts.get().pk])).content.decode()
    group = html[html.index('<fieldset id="target-overrides">') :]
    group = group[: group.index("</fieldset>")]
    assert "<legend>Target overrides (minutes of business time)</legend>" in group
    fields = re.findall(r'<div class="field">(.*?)</div>', group, re.S)
    assert len(fields) == 4
    for priority, field in zip(("P1", "P2", "P3", "P4"), fields, strict=True):
        assert (
            f'<label for="id_target_{priority}">{priority} – ' in field
            and f'id="id_target_{priority}"' in field
        )


def test_issue_11_defect_9_holiday_names_in_the_readers_language_in_the_calendar_preview(client, world):
    from tests.factories import make_org

    canada = make_org("Maple", "basic", tz="America/Toronto", country="CA", subdivision="ON")
    url = reverse("manage_calendar", args=[canada.contracts.get().pk]) + "?week=2026-07-01&priority=P3"
    world.admin.language = "fr"
    world.admin.save()
    client.force_login(world.admin)
    html = client.get(url).content.decode()
    assert "Fête du Canada" in html and "Canada Day" not in html
    world.admin.language = "en"
    world.admin.save()
    assert "Canada Day" in client.get(url).content.decode()
