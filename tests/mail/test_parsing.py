"""R-CHAN-2: reading one raw mail — identity, threading keys, machine mail, body, attachments."""

from __future__ import annotations

import pytest

from guichet.mail.parsing import clean_subject, normalise_message_id, parse, synthetic_message_id
from tests.mail.conftest import SUPPORT, mail


def test_R_CHAN_2_sender_comes_from_From_never_Reply_To():
    raw = mail("Alice <alice@acme.test>", "Hi", "x", headers={"Reply-To": "boss@globex.test"})
    parsed = parse(raw)
    assert parsed.sender == "alice@acme.test"


def test_R_CHAN_2_two_From_addresses_give_no_sender():
    raw = mail("alice@acme.test, eve@globex.test", "Hi", "x")
    assert parse(raw).sender is None


def test_R_CHAN_2_message_ids_are_normalised_and_threading_keys_ordered():
    raw = mail(
        "alice@acme.test",
        "Re: [#12] Printer",
        "ok",
        message_id="<Abc.1@Client.test>",
        in_reply_to="<out-2@guichet.test>",
        references=["<first@client.test>", "<out-2@guichet.test>"],
    )
    parsed = parse(raw)
    assert parsed.message_id == "Abc.1@Client.test"  # case kept: the local part is case-sensitive
    assert parsed.thread_ids == ["out-2@guichet.test", "first@client.test"]
    assert parsed.ticket_tokens == [12]
    assert normalise_message_id(" <a@b>\r\n ") == "a@b"


def test_R_CHAN_2_missing_message_id_gets_a_synthetic_one_stable_across_relays():
    raw = b"From: alice@acme.test\r\nTo: support@guichet.test\r\nSubject: no id\r\n\r\nbody\r\n"
    relayed = b"Received: from mx by mx2; Fri, 27 Nov 2026 10:00:00 +0000\r\n" + raw
    other = raw.replace(b"body", b"another body")
    assert parse(raw).message_id == parse(relayed).message_id == synthetic_message_id(raw)
    assert parse(other).message_id != parse(raw).message_id


@pytest.mark.parametrize(
    ("headers", "sender", "expected"),
    [
        ({"Auto-Submitted": "auto-replied"}, "alice@acme.test", "auto-submitted"),
        ({"Auto-Submitted": "auto-generated; owner-email=x@y"}, "alice@acme.test", "auto-submitted"),
        ({"X-Auto-Response-Suppress": "All"}, "alice@acme.test", "x-auto-response-suppress"),
        ({"Precedence": "bulk"}, "alice@acme.test", "precedence"),
        ({"Precedence": "junk"}, "alice@acme.test", "precedence"),
        ({"List-Id": "<users.lists.example>"}, "alice@acme.test", "mailing list"),
        ({"X-Autoreply": "yes"}, "alice@acme.test", "x-autoreply"),
        ({"Return-Path": "<>"}, "alice@acme.test", "null return path"),
        ({"X-Loop": SUPPORT}, "alice@acme.test", "loop"),
        ({}, "MAILER-DAEMON@mx.acme.test", "machine sender"),
        ({}, "postmaster@acme.test", "machine sender"),
        ({}, SUPPORT, "loop"),
    ],
)
def test_R_CHAN_2_machine_mail_is_recognised(headers, sender, expected):
    assert parse(mail(sender, "Out of office", "away", headers=headers)).machine_reason.startswith(expected)


def test_R_CHAN_2_a_person_is_not_machine_mail():
    raw = mail("alice@acme.test", "Help", "x", headers={"Auto-Submitted": "no", "Precedence": "normal"})
    assert parse(raw).machine_reason == ""


def test_R_CHAN_2_delivery_status_report_is_machine_mail():
    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.test>\r\nTo: support@guichet.test\r\n"
        b"Subject: Undelivered Mail\r\nMessage-ID: <dsn1@mx.test>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.test\r\n\r\n"
        b"Final-Recipient: rfc822; nobody@acme.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--B--\r\n"
    )
    assert parse(raw).machine_reason == "report: delivery-status"


def test_R_CHAN_2_quoted_history_is_stripped_in_french_and_english():
    fr = (
        "Merci, c'est réglé.\n\n"
        "Le lun. 5 janv. 2026 à 10:00, Support <support@guichet.test> a écrit :\n> Bonjour\n"
    )
    en = "Thanks, fixed.\n\nOn Mon, Jan 5, 2026 at 10:00 AM Support <support@guichet.test> wrote:\n> Hello\n"
    assert parse(mail("alice@acme.test", "Re: x", fr)).text == "Merci, c'est réglé."
    assert parse(mail("alice@acme.test", "Re: x", en)).text == "Thanks, fixed."


def test_R_CHAN_2_html_only_mail_becomes_text():
    raw = (
        b"From: alice@acme.test\r\nTo: support@guichet.test\r\nSubject: html\r\nMessage-ID: <h@c>\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{}</style></head><body><p>Le serveur &eacute;choue</p><script>x()</script>"
        b"<p>depuis 9&nbsp;h</p></body></html>\r\n"
    )
    text = parse(raw).text
    assert "Le serveur échoue" in text and "depuis 9 h" in text
    assert "script" not in text and "x()" not in text and "<p>" not in text


def test_R_CHAN_2_attachments_are_kept_with_their_names():
    raw = mail(
        "alice@acme.test",
        "logs",
        "see attached",
        attachments=[("server.log", "text/plain", b"line 1\n"), ("shot.png", "image/png", b"\x89PNG....")],
    )
    parsed = parse(raw)
    assert [(a.filename, a.content_type, a.content) for a in parsed.attachments] == [
        ("server.log", "text/plain", b"line 1\n"),
        ("shot.png", "image/png", b"\x89PNG...."),
    ]
    assert parsed.text == "see attached"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: RE: Fwd: [#12] Printer down", "Printer down"),
        ("TR: Réf : Imprimante", "Imprimante"),
        ("   ", ""),
        ("Plain", "Plain"),
    ],
)
def test_R_CHAN_2_ticket_subject_drops_prefixes_and_token(subject, expected):
    assert clean_subject(subject) == expected


def test_R_CHAN_2_very_long_text_is_cut_and_the_cut_is_reported():
    from guichet.mail.parsing import MAX_BODY_CHARS

    parsed = parse(mail("alice@acme.test", "long", ("word " * 20 + "\n") * 2000))
    assert len(parsed.text) <= MAX_BODY_CHARS
    assert any(str(MAX_BODY_CHARS) in d for d in parsed.dropped)


def test_R_CHAN_2_unclosed_script_tags_do_not_leak_into_the_text():
    raw = (
        b"From: alice@acme.test\r\nTo: support@guichet.test\r\nSubject: h\r\nMessage-ID: <x@c>\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Visible</p>" + b"<script>hidden" * 5000 + b"\r\n"
    )
    assert parse(raw).text == "Visible"
