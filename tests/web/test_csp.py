"""Every main page works under the strict CSP: no inline script, no style attribute or element."""

from __future__ import annotations

from html.parser import HTMLParser

from django.urls import reverse

from tests.factories import open_ticket


class InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts_with_src = 0

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script":
            if not names.get("src"):
                self.problems.append("<script> without src")
            else:
                self.scripts_with_src += 1
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names:
            self.problems.append(f"style= attribute on <{tag}>")
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"inline handler {name}= on <{tag}>")


def check(html: str) -> InlineFinder:
    finder = InlineFinder()
    finder.feed(html)
    return finder


def test_the_checker_catches_inline_code():
    assert check("<script>alert(1)</script>").problems
    assert check('<p style="color:red">x</p>').problems
    assert check("<style>p{}</style>").problems
    assert check('<button onclick="x()">').problems
    assert not check('<script src="/static/x.js"></script>').problems


def test_main_pages_have_no_inline_script_or_style(client, world):
    ticket = open_ticket(world.customer, "P1")
    contract = world.premium.contracts.get()
    pages = {
        None: [reverse("login")],
        world.agent: [
            reverse("desk_queue"),
            reverse("desk_queue") + "?scope=mine&priority=P1",
            reverse("desk_ticket", args=[ticket.pk]),
            reverse("desk_search") + "?q=log",
            reverse("desk_new_ticket"),
        ],
        world.customer: [
            reverse("portal_tickets"),
            reverse("portal_ticket", args=[ticket.pk]),
            reverse("portal_new"),
            reverse("portal_plan"),
        ],
        world.admin: [
            reverse("manage_home"),
            reverse("manage_organisation", args=[world.premium.pk]),
            reverse("manage_contract", args=[contract.pk]),
            reverse("manage_calendar", args=[contract.pk]),
            reverse("manage_people"),
            reverse("manage_person", args=[world.customer.pk]),
        ],
    }
    for person, urls in pages.items():
        client.logout()
        if person is not None:
            client.force_login(person)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            finder = check(response.content.decode())
            assert finder.problems == [], (url, finder.problems)
            # htmx and guichet.js are loaded from static files.
            assert finder.scripts_with_src >= 2, url
            assert "unsafe-inline" not in response["Content-Security-Policy"]


class LabelFinder(HTMLParser):
    """Form controls without a label (<label for>, an enclosing <label>, or aria-label)."""

    def __init__(self) -> None:
        super().__init__()
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, dict]] = []
        self.inside_label = 0

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "label":
            self.inside_label += 1
            if names.get("for"):
                self.label_for.add(names["for"])
        if tag in {"input", "select", "textarea"} and names.get("type") not in {"hidden", "submit", "button"}:
            self.controls.append((tag, names | {"_wrapped": bool(self.inside_label)}))

    def handle_endtag(self, tag):
        if tag == "label":
            self.inside_label -= 1

    def unlabelled(self) -> list[str]:
        return [
            f"<{tag} name={names.get('name')}>"
            for tag, names in self.controls
            if not (names["_wrapped"] or names.get("aria-label") or names.get("id") in self.label_for)
        ]


def test_the_label_checker_catches_a_bare_field():
    bare, labelled = LabelFinder(), LabelFinder()
    bare.feed('<input name="q"><label for="other">x</label>')
    labelled.feed(
        '<label for="q">Search</label><input name="q" id="q"><label><input name="c" type="checkbox">c</label>'
    )
    assert bare.unlabelled() == ["<input name=q>"] and labelled.unlabelled() == []


def test_every_form_control_has_a_label(client, world):
    ticket = open_ticket(world.customer, "P2")
    contract = world.premium.contracts.get()
    pages = {
        world.agent: [
            reverse("desk_queue"),
            reverse("desk_ticket", args=[ticket.pk]),
            reverse("desk_new_ticket"),
        ],
        world.customer: [reverse("portal_new"), reverse("portal_ticket", args=[ticket.pk])],
        world.admin: [
            reverse("manage_contract", args=[contract.pk]),
            reverse("manage_person", args=[world.agent.pk]),
        ],
    }
    for person, urls in pages.items():
        client.force_login(person)
        for url in urls:
            finder = LabelFinder()
            finder.feed(client.get(url).content.decode())
            assert finder.controls, url
            assert finder.unlabelled() == [], (url, finder.unlabelled())
