"""The frame every screen shares (guichet/web/templates/web/base.html): the top bar and its menu,
messages as toasts, the one stylesheet."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.factories import open_ticket


def _nav(html: str) -> list[str]:
    nav = html[html.index('<nav class="topnav"') : html.index("</nav>")]
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)]


def test_issue_11_defect_8_reports_are_in_the_menu_of_every_role(client, world):
    expected = {
        world.agent: ["My queue", "Team queue", "New ticket", "On call", "Reports"],
        world.customer: ["Our tickets", "New ticket", "Our support plan", "SLA statements", "Reports"],
        world.admin: ["My queue", "Team queue", "New ticket", "On call", "Reports", "Administration"],
    }
    for person, links in expected.items():
        client.force_login(person)
        html = client.get(reverse("home"), follow=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert _nav(html) == links, person
        page = client.get(reverse("reports_attainment"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert re.search(r'href="/reports/" aria-current="page">Reports<', page)


def test_messages_are_toasts_announced_politely(client, world):
    ticket = open_ticket(world.customer, "P1")
    client.force_login(world.agent)
    page = client.post(reverse("desk_note", args=[ticket.pk]), {"body": "Seen"}, follow=True).content.decode()
    toast = '<p class="toast flash flash-success toast-success" role="status">'
    assert f'{toast}<span class="toast-text">Note added.' in page


def test_every_page_links_the_one_stylesheet_and_follows_the_system_theme(client, world):
    client.force_login(world.customer)
    html = client.get(reverse("portal_tickets")).content.decode()
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == ["/static/guichet/guichet.css"]
    assert '<meta name="color-scheme" content="light dark">' in html
