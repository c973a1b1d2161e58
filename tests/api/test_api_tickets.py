"""Every ticket endpoint's happy path, the filters, the cursor pagination and the error mapping."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from guichet.api.schemas import TicketPage
from guichet.tickets import services
from guichet.tickets.models import AuditEntry, ContactAttempt, Message, MessageKind, SlaEvent, Ticket

from .conftest import SUBMITTED, open_ticket


def test_customer_opens_ticket_for_own_organisation(world):
    response = world.api("alice").post(
        "/tickets", {"subject": "VPN down", "body": "Since 9:00.", "priority": "P3"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert ticket.organisation == world.org_a and ticket.requester == world.alice
    assert body["organisation"] == {"id": world.org_a.pk, "name": "Acme"}
    assert body["channel"] == "api" and body["status"] == "new"
    assert body["sla"]["state"] == "running" and body["sla"]["due_at"] is not None
    assert body["assignee"] is None
    assert ticket.messages.filter(kind=MessageKind.REPLY, body="Since 9:00.").exists()
    assert SlaEvent.objects.filter(ticket=ticket, kind="applied").exists()


def test_staff_opens_ticket_on_behalf_of_a_contact(world):
    response = world.api("agent").post(
        "/tickets",
        {"subject": "Phoned in", "body": "Printer.", "priority": "P4", "requester_id": world.bob.pk},
    )
    assert response.status_code == 201, response.content
    assert response.json()["organisation"]["id"] == world.org_b.pk
    assert response.json()["requester"]["id"] == world.bob.pk


def test_p1_without_confirmation_is_422_and_creates_nothing(world):
    before = Ticket.objects.count()
    response = world.api("alice").post("/tickets", {"subject": "Down", "body": "All down", "priority": "P1"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid" and "P1" in response.json()["message"]
    assert Ticket.objects.count() == before


def test_phone_channel_on_basic_plan_is_403(world):
    response = world.api("agent").post(
        "/tickets",
        {
            "subject": "Call",
            "body": "b",
            "priority": "P3",
            "channel": "phone",
            "requester_id": world.alice.pk,
        },
    )
    assert response.status_code == 403
    assert "Premium" in response.json()["message"]


def test_schema_validation_errors_are_422_with_locations(world):
    response = world.api("alice").post("/tickets", {"subject": "", "priority": "P9"})
    assert response.status_code == 422
    details = {tuple(d["loc"]): d["type"] for d in response.json()["details"]}
    assert details == {
        ("body", "subject"): "string_too_short",
        ("body", "body"): "missing",
        ("body", "priority"): "enum",
    }


def test_malformed_json_is_400(world):
    response = world.api("alice").post("/tickets", raw="{not json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_get_one_ticket(world):
    response = world.api("alice").get(f"/tickets/{world.ticket_a.pk}")
    assert response.status_code == 200
    assert response.json()["subject"] == "Acme cannot log in"


def test_customer_never_sees_assignee_staff_do(world):
    world.api("agent").post(f"/tickets/{world.ticket_a.pk}/assign", {"assignee_id": world.agent.pk})
    assert world.api("alice").get(f"/tickets/{world.ticket_a.pk}").json()["assignee"] is None
    assert world.api("agent").get(f"/tickets/{world.ticket_a.pk}").json()["assignee"]["id"] == world.agent.pk


def test_status_change_and_conflict(world):
    api = world.api("agent")
    response = api.post(
        f"/tickets/{world.ticket_a.pk}/status", {"status": "waiting_customer", "reason": "asked"}
    )
    assert response.status_code == 200 and response.json()["status"] == "waiting_customer"
    again = api.post(f"/tickets/{world.ticket_a.pk}/status", {"status": "waiting_customer"})
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_customer_may_only_solve_or_reopen(world):
    api = world.api("alice")
    assert api.post(f"/tickets/{world.ticket_a.pk}/status", {"status": "closed"}).status_code == 403
    assert api.post(f"/tickets/{world.ticket_a.pk}/status", {"status": "solved"}).status_code == 200
    assert Ticket.objects.get(pk=world.ticket_a.pk).status == "solved"


def test_assign_and_unassign(world):
    api = world.api("agent")
    assert (
        api.post(f"/tickets/{world.ticket_a.pk}/assign", {"assignee_id": world.admin.pk}).status_code == 200
    )
    assert Ticket.objects.get(pk=world.ticket_a.pk).assignee == world.admin
    assert api.post(f"/tickets/{world.ticket_a.pk}/assign", {"assignee_id": None}).status_code == 200
    assert Ticket.objects.get(pk=world.ticket_a.pk).assignee is None
    assert api.post(f"/tickets/{world.ticket_a.pk}/assign", {"assignee_id": 999999}).status_code == 404
    # Assigning to a customer is a bad value, not a missing one.
    response = api.post(f"/tickets/{world.ticket_a.pk}/assign", {"assignee_id": world.alice.pk})
    assert response.status_code == 422


def test_customer_cannot_assign(world):
    response = world.api("alice").post(f"/tickets/{world.ticket_a.pk}/assign", {"assignee_id": world.anna.pk})
    assert response.status_code == 403
    assert Ticket.objects.get(pk=world.ticket_a.pk).assignee is None


def test_raise_priority_then_downgrade_needs_attempts(world):
    api = world.api("agent")
    response = api.post(
        f"/tickets/{world.ticket_a.pk}/raise",
        {"priority": "P2", "reason": "Wider impact", "impact_confirmed": True},
    )
    assert response.status_code == 200, response.content
    assert response.json()["priority"] == "P2"
    not_higher = api.post(f"/tickets/{world.ticket_a.pk}/raise", {"priority": "P4", "reason": "x"})
    assert not_higher.status_code == 409

    refused = api.post(f"/tickets/{world.ticket_a.pk}/downgrade", {"reason": "No answer"})
    assert refused.status_code == 409 and "attempt" in refused.json()["message"]
    assert Ticket.objects.get(pk=world.ticket_a.pk).priority == "P2"

    attempt = api.post(
        f"/tickets/{world.ticket_a.pk}/contact-attempts", {"channel": "phone", "note": "voicemail"}
    )
    assert attempt.status_code == 201, attempt.content
    assert attempt.json()["agent"]["id"] == world.agent.pk and attempt.json()["answered"] is False
    assert ContactAttempt.objects.filter(ticket=world.ticket_a).count() == 1

    done = api.post(f"/tickets/{world.ticket_a.pk}/downgrade", {"reason": "No answer"})
    assert done.status_code == 200, done.content
    assert done.json()["priority"] == "P3"


def test_customer_cannot_record_contact_attempts_or_downgrade(world):
    api = world.api("alice")
    assert api.post(f"/tickets/{world.ticket_a.pk}/contact-attempts", {"channel": "email"}).status_code == 403
    assert api.post(f"/tickets/{world.ticket_a.pk}/downgrade", {"reason": "x"}).status_code == 403


def test_log_call_premium_only(world):
    api = world.api("agent")
    call = {
        "caller": "Bob",
        "phone_number": "+1 416 555 0100",
        "duration_seconds": 300,
        "summary": "Walked through",
    }
    ok = api.post(f"/tickets/{world.ticket_b.pk}/calls", call)
    assert ok.status_code == 201, ok.content
    assert ok.json()["kind"] == "call" and ok.json()["duration_seconds"] == 300
    basic = api.post(f"/tickets/{world.ticket_a.pk}/calls", call)
    assert basic.status_code == 403
    assert not Message.objects.filter(ticket=world.ticket_a, kind=MessageKind.CALL).exists()


def test_messages_reply_note_and_customer_view(world):
    agent, alice = world.api("agent"), world.api("alice")
    note = agent.post(
        f"/tickets/{world.ticket_a.pk}/messages", {"body": "Internal: check logs", "internal": True}
    )
    assert note.status_code == 201 and note.json()["kind"] == "note"
    reply = alice.post(f"/tickets/{world.ticket_a.pk}/messages", {"body": "Any news?"})
    assert reply.status_code == 201 and reply.json()["kind"] == "reply" and reply.json()["channel"] == "api"

    staff_view = agent.get(f"/tickets/{world.ticket_a.pk}/messages").json()
    customer_view = alice.get(f"/tickets/{world.ticket_a.pk}/messages").json()
    assert "Internal: check logs" in [m["body"] for m in staff_view["items"]]
    assert all(m["kind"] != "note" for m in customer_view["items"])
    assert "Internal: check logs" not in str(customer_view)
    assert customer_view["count"] == staff_view["count"] - 1
    assert "Any news?" in [m["body"] for m in customer_view["items"]]


def test_customer_cannot_write_internal_note(world):
    response = world.api("alice").post(
        f"/tickets/{world.ticket_a.pk}/messages", {"body": "x", "internal": True}
    )
    assert response.status_code == 403
    assert not Message.objects.filter(ticket=world.ticket_a, kind=MessageKind.NOTE).exists()


def test_messages_offset_pagination(world):
    agent = world.api("agent")
    for i in range(3):
        agent.post(f"/tickets/{world.ticket_a.pk}/messages", {"body": f"note {i}", "internal": True})
    everything = agent.get(f"/tickets/{world.ticket_a.pk}/messages").json()
    page = agent.get(f"/tickets/{world.ticket_a.pk}/messages", limit=2, offset=1).json()
    assert page["count"] == everything["count"] and page["limit"] == 2 and page["offset"] == 1
    assert [m["id"] for m in page["items"]] == [m["id"] for m in everything["items"][1:3]]


def test_agent_reply_fulfils_first_response(world):
    agent = world.api("agent")
    assert agent.post(f"/tickets/{world.ticket_b.pk}/messages", {"body": "On it."}).status_code == 201
    sla = agent.get(f"/tickets/{world.ticket_b.pk}/sla").json()
    assert sla["state"] in {"fulfilled", "fulfilled_late"}
    assert sla["first_response_at"] is not None
    kinds = [e["kind"] for e in agent.get(f"/tickets/{world.ticket_b.pk}/sla/events").json()]
    assert kinds[0] == "applied" and "fulfilled" in kinds


def test_sla_state_in_utc_and_customer_zone(world):
    sla = world.api("bob").get(f"/tickets/{world.ticket_b.pk}/sla").json()
    assert sla["time_zone"] == "America/Toronto"
    due_utc = dt.datetime.fromisoformat(sla["due_at"])
    due_local = dt.datetime.fromisoformat(sla["due_local"])
    assert due_utc == due_local  # the same instant...
    assert due_local.utcoffset() == dt.timedelta(hours=-4)  # ...shown in Toronto (EDT on 13 March 2026)
    assert sla["due_at"].endswith("Z") or sla["due_at"].endswith("+00:00")
    assert sla["target_minutes"] == Ticket.objects.get(pk=world.ticket_b.pk).sla_target_minutes
    # Premium P2 runs 24x7: business time equals wall time since submission (nothing answered yet).
    as_of = dt.datetime.fromisoformat(sla["as_of"])
    assert abs(sla["elapsed_seconds"] - (as_of - SUBMITTED).total_seconds()) < 5
    assert sla["remaining_seconds"] == sla["target_minutes"] * 60 - sla["elapsed_seconds"]


def test_sla_events_and_explain(world):
    api = world.api("alice")
    events = api.get(f"/tickets/{world.ticket_a.pk}/sla/events").json()
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert events[0]["kind"] == "applied" and events[0]["due_at"] is not None
    explain = api.get(f"/tickets/{world.ticket_a.pk}/sla/explain").json()
    assert explain["ticket_id"] == world.ticket_a.pk
    assert explain["explanation"]["priority"] == "P3"
    assert explain["explanation"]["calendar"]["timezone"] == "Europe/Paris"
    assert "Europe/Paris" in explain["text"]


# --- Listing, filters, pagination -----------------------------------------------------------------


def _many(world, n: int = 7) -> list[Ticket]:
    tickets = [world.ticket_a]
    for i in range(n - 1):
        tickets.append(
            open_ticket(
                world.alice if i % 2 else world.anna,
                f"Ticket {i}",
                priority="P4" if i % 3 else "P3",
                by=world.agent,
                submitted_at=SUBMITTED + dt.timedelta(minutes=7 * (i + 1)),
            )
        )
    return tickets


def test_customer_list_is_only_their_organisation(world):
    _many(world, 4)
    ids = {t["id"] for t in world.api("alice").get("/tickets").json()["items"]}
    assert ids == set(Ticket.objects.filter(organisation=world.org_a).values_list("id", flat=True))
    assert world.ticket_b.pk not in ids


def test_cursor_pages_cover_everything_once_in_due_order(world):
    _many(world, 7)
    api = world.api("agent")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, "ordering": "due"} | ({"cursor": cursor} if cursor else {})
        body = api.get("/tickets", **params).json()
        seen += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    expected = list(Ticket.objects.order_by("sla_due_at", "id").values_list("id", flat=True))
    with_due = [t for t in expected if Ticket.objects.get(pk=t).sla_due_at is not None]
    assert [t["id"] for t in seen][: len(with_due)] == with_due
    assert sorted(t["id"] for t in seen) == sorted(expected)
    assert pages == -(-len(expected) // 3)


def test_cursor_pages_with_null_due_last(world):
    from guichet.accounts.models import Organisation

    orphan_org = Organisation.objects.create(name="No contract")
    from .conftest import api_person

    carl = api_person("carl", "customer", orphan_org)
    no_sla = open_ticket(carl, "No SLA here", by=world.agent)
    assert no_sla.sla_due_at is None
    api = world.api("agent")
    first = api.get("/tickets", limit=2).json()
    # Premium P2 (24x7) is due before Basic P3 (business hours); the no-SLA ticket comes last.
    assert [t["id"] for t in first["items"]] == [world.ticket_b.pk, world.ticket_a.pk]
    second = api.get("/tickets", limit=2, cursor=first["next_cursor"]).json()
    assert [t["id"] for t in second["items"]] == [no_sla.pk]
    assert second["next_cursor"] is None


def test_newest_first_ordering(world):
    tickets = _many(world, 5)
    body = world.api("alice").get("/tickets", ordering="-submitted", limit=2).json()
    newest = sorted(tickets, key=lambda t: (t.submitted_at, t.pk), reverse=True)
    assert [t["id"] for t in body["items"]] == [t.pk for t in newest[:2]]
    rest = (
        world.api("alice").get("/tickets", ordering="-submitted", limit=10, cursor=body["next_cursor"]).json()
    )
    assert [t["id"] for t in rest["items"]] == [t.pk for t in newest[2:]]


def test_cursor_of_another_ordering_or_garbage_is_422(world):
    _many(world, 3)
    api = world.api("agent")
    cursor = api.get("/tickets", limit=1).json()["next_cursor"]
    assert api.get("/tickets", ordering="-submitted", cursor=cursor).status_code == 422
    assert api.get("/tickets", cursor="!!!not-base64").status_code == 422
    assert api.get("/tickets", limit=0).status_code == 422
    assert api.get("/tickets", limit=201).status_code == 422


def test_filters(world):
    tickets = _many(world, 6)
    api = world.api("agent")
    world_ids = {t.pk for t in tickets} | {world.ticket_b.pk}

    def ids(**params):
        return {t["id"] for t in api.get("/tickets", limit=200, **params).json()["items"]}

    assert ids() == world_ids
    assert ids(priority="P2") == {world.ticket_b.pk}
    assert ids(priority=["P3", "P2"]) == set(
        Ticket.objects.filter(priority__in=["P3", "P2"]).values_list("id", flat=True)
    )
    assert ids(organisation=world.org_b.pk) == {world.ticket_b.pk}
    api.post(f"/tickets/{world.ticket_a.pk}/status", {"status": "solved"})
    assert ids(status="solved") == {world.ticket_a.pk}
    assert world.ticket_a.pk not in ids(open="true")
    assert ids(open="false") == {world.ticket_a.pk}
    assert ids(status=["new", "solved"]) == world_ids
    cutoff = Ticket.objects.order_by("sla_due_at").values_list("sla_due_at", flat=True)[2]
    assert ids(due_before=cutoff.isoformat()) == set(
        Ticket.objects.filter(sla_due_at__lt=cutoff).values_list("id", flat=True)
    )
    assert api.get("/tickets", due_before="2026-03-10T12:00:00").status_code == 422  # naive
    assert api.get("/tickets", status="nonsense").status_code == 422
    api.post(f"/tickets/{world.ticket_b.pk}/assign", {"assignee_id": world.agent.pk})
    assert ids(assignee=world.agent.pk) == {world.ticket_b.pk}
    api.post(f"/tickets/{world.ticket_b.pk}/messages", {"body": "First response."})
    assert ids(awaiting_response="false") == {world.ticket_b.pk}
    assert ids(awaiting_response="true") == world_ids - {world.ticket_b.pk}


def test_customer_filtering_by_other_organisation_gets_nothing(world):
    body = world.api("alice").get("/tickets", organisation=world.org_b.pk).json()
    assert body["items"] == []


def test_writes_leave_an_audit_trail(world):
    before = AuditEntry.objects.filter(ticket=world.ticket_a).count()
    world.api("agent").post(f"/tickets/{world.ticket_a.pk}/status", {"status": "open", "reason": "triage"})
    assert AuditEntry.objects.filter(ticket=world.ticket_a).count() == before + 1


def test_status_filtered_pages_merge_statuses_in_due_order(world):
    tickets = _many(world, 7)
    agent = world.api("agent")
    for ticket, status in zip(
        tickets, ["open", "waiting_customer", "solved", "open", "waiting_customer"], strict=False
    ):
        agent.post(f"/tickets/{ticket.pk}/status", {"status": status})
    wanted = ["new", "open", "waiting_customer"]
    expected = list(
        Ticket.objects.filter(status__in=wanted).order_by("sla_due_at", "id").values_list("id", flat=True)
    )
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "open": "true"} | ({"cursor": cursor} if cursor else {})
        body = agent.get("/tickets", **params).json()
        seen += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == expected
    assert agent.get("/tickets", status="solved", open="true").json()["items"] == []


def test_list_items_are_the_detail_representation(world):
    world.api("agent").post(f"/tickets/{world.ticket_b.pk}/assign", {"assignee_id": world.agent.pk})
    for who in ("agent", "bob"):
        api = world.api(who)
        page = api.get("/tickets").json()
        TicketPage.model_validate(page)  # the list is encoded without ninja's validation
        items = page["items"]
        assert items
        for item in items:
            assert item == api.get(f"/tickets/{item['id']}").json()


def test_booleans_in_bodies_are_strict(world):
    """Found by schemathesis: `"internal": 0` used to be read as false and post a public reply."""
    response = world.api("agent").post(f"/tickets/{world.ticket_a.pk}/messages", {"body": "x", "internal": 0})
    assert response.status_code == 422
    assert not Message.objects.filter(ticket=world.ticket_a, body="x").exists()


def test_attachment_listed_and_downloaded_as_a_download(world):
    messages = world.api("alice").get(f"/tickets/{world.ticket_a.pk}/messages").json()["items"]
    files = [a for m in messages for a in m["attachments"]]
    assert [f["filename"] for f in files] == ["logs.txt"]
    response = world.api("alice").get(f"/tickets/{world.ticket_a.pk}/attachments/{files[0]['id']}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"secret of Acme"
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    # The staff view of B's ticket shows the internal note; B's customer never sees it.
    staff = world.api("agent").get(f"/tickets/{world.ticket_b.pk}/messages").json()["items"]
    bob = world.api("bob").get(f"/tickets/{world.ticket_b.pk}/messages").json()["items"]
    assert any(m["kind"] == "note" for m in staff) and not any(m["kind"] == "note" for m in bob)


def test_sla_of_a_paused_clock(world):
    world.contract_b.pause_when_waiting = True
    world.contract_b.save()
    ticket = open_ticket(world.bob, "Pausable", priority="P4", by=world.agent, submitted_at=None)
    agent = world.api("agent")
    running = agent.get(f"/tickets/{ticket.pk}/sla").json()
    assert running["paused"] is False and running["due_at"] is not None
    assert agent.post(f"/tickets/{ticket.pk}/status", {"status": "waiting_third_party"}).status_code == 200
    paused = agent.get(f"/tickets/{ticket.pk}/sla").json()
    assert paused["paused"] is True and paused["state"] == "paused"
    assert paused["due_at"] is None and paused["due_local"] is None
    assert paused["remaining_seconds"] == paused["target_minutes"] * 60 - paused["elapsed_seconds"]
    later = agent.get(f"/tickets/{ticket.pk}/sla").json()
    assert later["elapsed_seconds"] == paused["elapsed_seconds"]  # the clock does not move while paused
    kinds = [e["kind"] for e in agent.get(f"/tickets/{ticket.pk}/sla/events").json()]
    assert kinds[-1] == "paused"


def _saturday(zone: str) -> dt.datetime:
    return dt.datetime(2026, 3, 14, 10, 0, tzinfo=zoneinfo.ZoneInfo(zone))


def test_issue_11_defect_2_a_held_first_response_is_answered_not_delivered(world):
    """R-PRIO-7 holds the answer until Monday: the customer's API says when it arrives, not just "met"."""
    saturday = _saturday("Europe/Paris")
    ticket = open_ticket(world.alice, "Export question", by=world.agent, submitted_at=saturday)
    services.add_reply(
        actor=world.agent, ticket=ticket, body="Here is how.", at=saturday + dt.timedelta(hours=1)
    )
    alice = world.api("alice")
    monday_9_paris = dt.datetime(2026, 3, 16, 8, 0, tzinfo=dt.UTC)
    detail = alice.get(f"/tickets/{ticket.pk}").json()
    assert detail["sla"]["state"] == "fulfilled"  # the clock counts the answer from when it was written
    assert dt.datetime.fromisoformat(detail["sla"]["response_held_until"]) == monday_9_paris
    listed = {t["id"]: t for t in alice.get("/tickets", limit=100).json()["items"]}
    assert listed[ticket.pk]["sla"] == detail["sla"]
    bodies = [m["body"] for m in alice.get(f"/tickets/{ticket.pk}/messages").json()["items"]]
    assert "Here is how." not in bodies
    services.deliver_held_messages(now=monday_9_paris)
    detail = alice.get(f"/tickets/{ticket.pk}").json()
    assert detail["sla"]["response_held_until"] is None
    assert "Here is how." in [m["body"] for m in alice.get(f"/tickets/{ticket.pk}/messages").json()["items"]]


def test_issue_11_defect_6_calls_outside_business_hours_on_p3_must_be_inbound(world):
    saturday = _saturday("America/Toronto")
    ticket = open_ticket(world.bob, "Question", by=world.agent, submitted_at=saturday)  # Premium, P3
    call = {
        "caller": "Bob",
        "phone_number": "+1 416 555 0100",
        "duration_seconds": 120,
        "summary": "Asked about exports",
        "at": (saturday + dt.timedelta(hours=1)).isoformat(),
    }
    api = world.api("agent")
    outbound = api.post(f"/tickets/{ticket.pk}/calls", call)
    assert outbound.status_code == 409 and "business hours" in outbound.content.decode()
    assert not Message.objects.filter(ticket=ticket, kind=MessageKind.CALL).exists()
    inbound = api.post(f"/tickets/{ticket.pk}/calls", call | {"inbound": True})
    assert inbound.status_code == 201, inbound.content
