"""Request and response bodies. Instants are ISO 8601 with an offset; inputs must carry one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AwareDatetime, Field, StrictBool

from guichet.contracts.models import HoursOption, Plan, Priority, Region
from guichet.tickets.models import Channel, MessageKind, SlaState, Status

# Database ids: positive and within a 64-bit integer, so no query ever overflows the database.
MAX_ID = 2**63 - 1
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]

# --- People and organisations ---------------------------------------------------------------------


class PersonRef(Schema):
    id: int
    name: str
    role: str


class Me(Schema):
    id: int
    username: str
    name: str
    email: str
    role: str
    organisation_id: int | None
    language: str
    time_zone: str


class OrganisationOut(Schema):
    id: int
    name: str
    email_domain: str
    created_at: dt.datetime


class OrganisationIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    email_domain: str = Field("", max_length=200)


class OrganisationRef(Schema):
    id: int
    name: str


class ContractOut(Schema):
    id: int
    organisation_id: int
    reference: str
    plan: Plan
    hours: HoursOption
    region: Region
    time_zone: str
    holiday_country: str
    holiday_subdivision: str
    valid_from: dt.date
    valid_until: dt.date | None
    target_overrides: dict[str, int]
    pause_when_waiting: bool
    downgrade_keeps_miss: bool
    closed_unanswered_missed: bool
    created_at: dt.datetime


class ContractIn(Schema):
    reference: str = Field(min_length=1, max_length=64)
    plan: Plan
    hours: HoursOption = HoursOption.PLAN_DEFAULT
    region: Region = Region.WORLDWIDE
    time_zone: str = Field(min_length=1, max_length=64)
    holiday_country: str = Field(min_length=2, max_length=2)
    holiday_subdivision: str = Field("", max_length=16)
    valid_from: dt.date
    valid_until: dt.date | None = None
    target_overrides: dict[Priority, int] = {}
    pause_when_waiting: StrictBool = False
    downgrade_keeps_miss: StrictBool = True
    closed_unanswered_missed: StrictBool = False


# --- Tickets --------------------------------------------------------------------------------------


class TicketSla(Schema):
    state: SlaState
    plan: str
    target_minutes: int | None
    due_at: dt.datetime | None
    warn_at: dt.datetime | None
    breached_at: dt.datetime | None
    # The first response was written outside the customer's business hours on a P3/P4 and is held
    # until this instant (R-PRIO-7): answered, not yet delivered. Null once delivered.
    response_held_until: dt.datetime | None = None


class TicketOut(Schema):
    id: int
    organisation: OrganisationRef
    contract_id: int | None
    requester: PersonRef
    # Agent-only: null for customers.
    assignee: PersonRef | None
    subject: str
    channel: Channel
    priority: Priority
    status: Status
    impact_confirmed: bool
    contact_phone: str
    submitted_at: dt.datetime
    updated_at: dt.datetime
    first_response_at: dt.datetime | None
    solved_at: dt.datetime | None
    sla: TicketSla


class TicketIn(Schema):
    subject: str = Field(min_length=1, max_length=250)
    body: str = Field(min_length=1, max_length=100_000)
    priority: Priority
    channel: Channel = Channel.API
    # R-PRIO-5: P1/P2 need the customer's confirmation of impact and availability.
    impact_confirmed: StrictBool = False
    contact_phone: str = Field("", max_length=32)
    # Staff only: on whose behalf. Customers open tickets for their own organisation.
    organisation_id: DbId | None = None
    requester_id: DbId | None = None
    submitted_at: AwareDatetime | None = None


class TicketPage(Schema):
    items: list[TicketOut]
    limit: int
    # Pass it back as `cursor` for the next page; null on the last page.
    next_cursor: str | None


class StatusIn(Schema):
    status: Status
    reason: str = Field("", max_length=2000)


class AssignIn(Schema):
    # null unassigns.
    assignee_id: DbId | None


class RaiseIn(Schema):
    priority: Priority
    reason: str = Field(min_length=1, max_length=2000)
    impact_confirmed: StrictBool = False


class DowngradeIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class ContactAttemptIn(Schema):
    channel: Channel
    note: str = Field("", max_length=500)
    at: AwareDatetime | None = None
    # true records that the customer was reached (then it is no evidence for a downgrade).
    answered: StrictBool = False


class ContactAttemptOut(Schema):
    id: int
    ticket_id: int
    agent: PersonRef
    at: dt.datetime
    channel: Channel
    note: str
    answered: bool


class CallIn(Schema):
    caller: str = Field(min_length=1, max_length=200)
    phone_number: str = Field(min_length=1, max_length=32)
    duration_seconds: int = Field(ge=0, le=24 * 3600)
    summary: str = Field(min_length=1, max_length=100_000)
    # R-PRIO-7: true when the customer called the desk. An outbound call (the default) on a P3/P4
    # ticket outside the customer's business hours is refused (409).
    inbound: StrictBool = False
    at: AwareDatetime | None = None


# --- Messages -------------------------------------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: int
    ticket_id: int
    kind: MessageKind
    channel: Channel
    author: PersonRef | None
    body: str
    created_at: dt.datetime
    # A reply held until the customer's business hours (R-PRIO-7): when it goes out.
    deliver_at: dt.datetime | None
    delivered_at: dt.datetime | None
    caller: str
    phone_number: str
    duration_seconds: int | None
    attachments: list[AttachmentOut]


class MessageIn(Schema):
    body: str = Field(min_length=1, max_length=100_000)
    # true writes an internal note (agents only); customers never see notes.
    internal: StrictBool = False


class MessagePage(Schema):
    items: list[MessageOut]
    count: int
    limit: int
    offset: int


# --- SLA ------------------------------------------------------------------------------------------


class SlaOut(Schema):
    ticket_id: int
    state: SlaState
    plan: str
    priority: Priority
    target_minutes: int | None
    # The customer's zone: the contract's time zone, in which business hours are counted.
    time_zone: str | None
    due_at: dt.datetime | None = Field(description="Due instant in UTC.")
    due_local: dt.datetime | None = Field(description="The same instant with the customer's UTC offset.")
    warn_at: dt.datetime | None
    breached_at: dt.datetime | None
    first_response_at: dt.datetime | None
    as_of: dt.datetime
    elapsed_seconds: int | None = Field(description="Business time consumed so far.")
    remaining_seconds: int | None = Field(description="Business time left (negative once late).")
    paused: bool


class SlaEventOut(Schema):
    seq: int
    kind: str
    at: dt.datetime
    recorded_at: dt.datetime
    actor: PersonRef | None
    reason: str
    due_at: dt.datetime | None
    data: dict


class SlaExplainOut(Schema):
    ticket_id: int
    text: str
    explanation: dict


# --- Preview --------------------------------------------------------------------------------------


class PreviewItem(Schema):
    priority: Priority
    label: str
    target_minutes: int
    due: dt.datetime = Field(description="When the first response is due, with the customer's offset.")
    due_utc: dt.datetime
    calendar: str


class PreviewOut(Schema):
    organisation_id: int
    contract_id: int | None
    plan: str | None
    time_zone: str | None
    at: dt.datetime
    # Empty when no contract is in force at `at`: tickets then carry no SLA.
    priorities: list[PreviewItem]


TicketOrdering = Literal["due", "-submitted"]
