"""What a browser submits for a form of a page: the test client posts what a person would send by
pressing the button without touching anything (tests of forms rendered in another language)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FormReader(HTMLParser):
    """The fields of the first `<form method="post">` whose action is `action` ("" for the page)."""

    def __init__(self, action: str = "") -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.done = False
        self.fields: list[tuple[str, str]] = []
        self.shown_dates: dict[str, str] = {}
        self._select: str | None = None
        self._select_value: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and not self.done and a.get("method", "").lower() == "post":
            self.inside = a.get("action", "") == self.action
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "on")))
            elif kind not in {"submit", "button", "file"}:
                value = a.get("value", "")
                if kind == "date":
                    # A date input shows (and submits) an ISO value only: anything else is empty.
                    value = value if ISO_DATE.match(value) else ""
                    self.shown_dates[a["name"]] = value
                self.fields.append((a["name"], value))
        elif tag == "select":
            self._select, self._select_value, self._first_option = a.get("name"), None, None
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self._select_value = a.get("value", "")
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "select" and self._select is not None:
            self.fields.append((self._select, self._select_value or self._first_option or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text.lstrip("\n")))
            self._textarea = None
        elif tag == "form":
            self.inside, self.done = False, True


def submitted(html: str, action: str = "") -> FormReader:
    reader = FormReader(action)
    reader.feed(html)
    return reader
