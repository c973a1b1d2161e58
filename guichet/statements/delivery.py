"""Statement mail: owed in the outbox when a statement is produced, sent with its PDF attached
through the recorded outbound path (`guichet.mail.outbound.send_recorded_mail`: a Message-ID, loop
headers, sent once per recipient and statement, retried by the outbox)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from guichet.accounts.models import Person
from guichet.mail.models import OutboundKind
from guichet.mail.outbound import AUTO_GENERATED, send_recorded_mail
from guichet.outbox import relay
from guichet.outbox.models import Delivery
from guichet.outbox.services import enqueue
from guichet.statements.models import Statement

KIND = "statement.mail"


def owe_mail(statement: Statement, people: Iterable[Person]) -> None:
    """Inside the transaction that stores the statement: one delivery per recipient."""
    for person in people:
        enqueue(
            KIND,
            f"{KIND}|{statement.pk}|{person.pk}",
            {"statement_id": statement.pk, "person_id": person.pk},
        )


def send_statement_mail(statement_id: int, person_id: int) -> bool:
    """Mail one recipient the statement, in their language, its PDF and JSON attached."""
    from guichet.statements.render import pdf_bytes

    statement = Statement.objects.select_related("organisation").filter(pk=statement_id).first()
    person = Person.objects.filter(pk=person_id).first()
    if statement is None or person is None:
        raise relay.Permanent("the statement or the recipient no longer exists")
    if not person.email or not person.is_active:
        return False
    language = person.language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = _("SLA statement %(month)s — %(organisation)s") % {
            "month": statement.month,
            "organisation": statement.organisation.name,
        }
        body = "\n\n".join(
            [
                _(
                    "Attached is the statement of our first-response commitments for %(month)s: every "
                    "request you submitted that month, its target, when it was due and whether we met it."
                )
                % {"month": statement.month},
                _(
                    "It is signed with our key %(key)s. You can check it yourself, without access to our "
                    "systems: “python -m guichet.sla verify statement.json” (see the guide in the portal)."
                )
                % {"key": statement.key_id},
            ]
        )
        name = f"sla-statement-{statement.month}"
        send_recorded_mail(
            to=person.email,
            subject=subject,
            body=body,
            kind=OutboundKind.STATEMENT,
            key=f"statement|{statement.pk}|{person.pk}",
            auto=AUTO_GENERATED,
            attachments=[
                (f"{name}.pdf", pdf_bytes(statement, language=language), "application/pdf"),
                (f"{name}.json", statement.document.encode("utf-8"), "application/json"),
            ],
        )
    return True


@relay.handler(KIND)
def _deliver(delivery: Delivery) -> None:
    send_statement_mail(int(delivery.payload["statement_id"]), int(delivery.payload["person_id"]))
