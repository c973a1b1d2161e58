"""Who may see what: the tenancy rule holds on every web path (404, never another org's data)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import open_ticket


def test_anonymous_is_sent_to_sign_in(client, world):
    ticket = open_ticket(world.customer)
    for url in [
        reverse("desk_queue"),
        reverse("desk_ticket", args=[ticket.pk]),
        reverse("portal_tickets"),
        reverse("portal_ticket", args=[ticket.pk]),
        reverse("manage_home"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_home_routes_agents_to_the_queue_and_customers_to_the_portal(client, world):
    client.force_login(world.agent)
    assert client.get(reverse("home")).url == reverse("desk_queue")
    client.force_login(world.customer)
    assert client.get(reverse("home")).url == reverse("portal_tickets")


def test_customer_gets_404_on_another_organisations_ticket(client, world):
    theirs = open_ticket(world.other_customer, subject="Other org secret")
    before = theirs.messages.count()
    client.force_login(world.customer)
    assert client.get(reverse("portal_ticket", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("portal_reply", args=[theirs.pk]), {"body": "hello"})
    assert response.status_code == 404
    assert theirs.messages.count() == before  # nothing was added
    listing = client.get(reverse("portal_tickets")).content.decode()
    assert "Other org secret" not in listing


def test_customer_gets_404_on_another_organisations_attachment(client, world):
    theirs = open_ticket(
        world.other_customer,
        attachments=[SimpleUploadedFile("secret.txt", b"top secret", content_type="text/plain")],
    )
    attachment = theirs.messages.get(kind="reply").attachments.get()
    client.force_login(world.customer)
    assert client.get(reverse("attachment", args=[attachment.pk])).status_code == 404
    client.force_login(world.other_customer)
    response = client.get(reverse("attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"top secret"
    # Downloaded, never rendered by the browser.
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_customer_never_sees_internal_notes(client, world):
    ticket = open_ticket(world.customer)
    from guichet.tickets import services

    services.add_note(actor=world.agent, ticket=ticket, body="Internal: customer is grumpy")
    client.force_login(world.customer)
    page = client.get(reverse("portal_ticket", args=[ticket.pk])).content.decode()
    assert "grumpy" not in page
    client.force_login(world.agent)
    assert "grumpy" in client.get(reverse("desk_ticket", args=[ticket.pk])).content.decode()


def test_customers_cannot_use_the_desk_nor_the_administration(client, world):
    ticket = open_ticket(world.customer)
    client.force_login(world.customer)
    assert client.get(reverse("desk_queue")).status_code == 404
    assert client.get(reverse("desk_ticket", args=[ticket.pk])).status_code == 404
    response = client.post(reverse("desk_note", args=[ticket.pk]), {"body": "sneaky"})
    assert response.status_code == 404
    assert not ticket.messages.filter(kind="note").exists()
    assert client.get(reverse("manage_home")).status_code == 404


def test_only_vendor_administrators_manage(client, world):
    client.force_login(world.agent)
    assert client.get(reverse("manage_home")).status_code == 404
    assert client.get(reverse("manage_people")).status_code == 404
    client.force_login(world.admin)
    assert client.get(reverse("manage_home")).status_code == 200


def test_agents_do_not_use_the_portal(client, world):
    client.force_login(world.agent)
    assert client.get(reverse("portal_tickets")).status_code == 404


def test_saved_views_of_others_are_private_unless_shared(client, world):
    from guichet.web.models import SavedView

    private = SavedView.objects.create(owner=world.lead, name="Lead's", filters={"priority": "P1"})
    shared = SavedView.objects.create(
        owner=world.lead, name="Team P2", filters={"priority": "P2"}, shared=True
    )
    client.force_login(world.agent)
    assert client.get(reverse("desk_queue") + f"?view={private.pk}").status_code == 404
    assert client.get(reverse("desk_queue") + f"?view={shared.pk}").status_code == 200
    # Nobody deletes another agent's view.
    assert client.post(reverse("desk_delete_view", args=[shared.pk])).status_code == 404
    assert SavedView.objects.filter(pk=shared.pk).exists()
