"""The French catalogue is complete, well-formed, up to date with the code, and actually used.

- every entry is translated and none is fuzzy (parsed by hand: polib is not a dependency);
- GNU msgfmt accepts it with format checks (placeholders and plural forms match);
- makemessages run on a copy of the sources finds no message the catalogue lacks, so a string
  marked later without a translation fails here;
- the main pages rendered in French show our translations and none of their English originals.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from tests.conftest import REPO_ROOT, skip_or_fail
from tests.factories import make_org, make_person, open_ticket

LOCALE_DIR = REPO_ROOT / "guichet" / "locale"
PO_FILE = LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")


# --- A small .po reader -------------------------------------------------------------------------


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(text: str, where: str) -> str:
    text = text.strip()
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        raise ValueError(f"{where}: expected a quoted string, got {text!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file (the header included, as the entry with an empty msgid)."""
    entries: list[Entry] = []
    current: Entry | None = None
    has_msgid = False  # the current entry's msgid is read: a comment or msgid/msgctxt opens the next
    target: tuple[str, int] = ("", 0)  # the field that continuation lines extend

    def open_entry(number: int) -> Entry:
        nonlocal current, has_msgid
        current, has_msgid = Entry(line=number), False
        entries.append(current)
        return current

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        where = f"{path.name}:{number}"
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            current = None
            continue
        if line.startswith("#"):
            entry = open_entry(number) if current is None or has_msgid else current
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(.*)$", line)
        if match:
            keyword, index, rest = match.groups()
            if current is None or (keyword in ("msgctxt", "msgid") and has_msgid):
                open_entry(number)
            assert current is not None
            current.obsolete = current.obsolete or obsolete
            value = _unquote(rest, where)
            if keyword == "msgctxt":
                current.msgctxt = value
            elif keyword == "msgid":
                current.msgid, has_msgid = value, True
            elif keyword == "msgid_plural":
                current.msgid_plural = value
            else:
                current.msgstr[int(index or 0)] = value
            target = (keyword.split("[")[0], int(index or 0))
            continue
        if line.startswith('"') and current is not None and target[0]:
            value = _unquote(line, where)
            name, slot = target
            if name == "msgstr":
                current.msgstr[slot] += value
            elif name == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + value
            elif name == "msgid":
                current.msgid += value
            else:
                current.msgid_plural = (current.msgid_plural or "") + value
            continue
        raise ValueError(f"{where}: cannot read {raw!r}")
    return [entry for entry in entries if entry.msgid or entry.msgstr]


def messages(entries: list[Entry]) -> list[Entry]:
    """The real messages: no header, no obsolete entry."""
    return [e for e in entries if e.msgid and not e.obsolete]


def label(entry: Entry) -> str:
    context = f"[{entry.msgctxt}] " if entry.msgctxt else ""
    return f"line {entry.line}: {context}{entry.msgid!r}"


# --- (a) complete, not fuzzy ----------------------------------------------------------------------


def test_reader_understands_the_po_syntax(tmp_path):
    """The checks below are only as good as the reader: it must see what msgfmt sees."""
    sample = tmp_path / "sample.po"
    sample.write_text(
        'msgid ""\nmsgstr ""\n"Language: fr\\n"\n\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgid "%(n)s left"\nmsgstr "reste %(n)s"\n\n'
        'msgctxt "key"\nmsgid ""\n"Enter"\nmsgstr ""\n\n'
        'msgid "one \\"file\\""\nmsgid_plural "%(n)s files"\nmsgstr[0] "un"\nmsgstr[1] ""\n"%(n)s"\n'
        'msgstr[2] ""\n\n'
        '#~ msgid "gone"\n#~ msgstr "parti"\n',
        encoding="utf-8",
    )
    header, fuzzy, keyed, plural, gone = parse_po(sample)
    assert header.msgid == "" and header.msgstr == {0: "Language: fr\n"}
    assert fuzzy.flags == {"fuzzy", "python-format"} and fuzzy.msgstr == {0: "reste %(n)s"}
    assert keyed.msgctxt == "key" and keyed.msgid == "Enter" and keyed.msgstr == {0: ""}
    assert plural.msgid == 'one "file"' and plural.msgstr == {0: "un", 1: "%(n)s", 2: ""}
    assert gone.obsolete and gone.msgid == "gone"
    assert untranslated(messages([header, fuzzy, keyed, plural, gone])) == [keyed, plural]


def plural_count(entries: list[Entry]) -> int:
    header = next(e for e in entries if not e.msgid)
    match = re.search(r"nplurals\s*=\s*(\d+)", header.msgstr.get(0, ""))
    assert match, "the catalogue header has no Plural-Forms"
    return int(match.group(1))


def untranslated(entries: list[Entry], nplurals: int = 3) -> list[Entry]:
    missing = []
    for entry in entries:
        slots = range(nplurals) if entry.msgid_plural is not None else range(1)
        if any(not entry.msgstr.get(slot) for slot in slots):
            missing.append(entry)
    return missing


def test_every_french_entry_is_translated_and_none_is_fuzzy():
    entries = parse_po(PO_FILE)
    found = messages(entries)
    assert len(found) > 500, f"only {len(found)} messages read from {PO_FILE}: is the reader broken?"
    missing = untranslated(found, plural_count(entries))
    assert not missing, "untranslated French entries:\n" + "\n".join(label(e) for e in missing)
    fuzzy = [e for e in entries if "fuzzy" in e.flags and e.msgid]
    assert not fuzzy, "fuzzy French entries (check, fix, then drop the flag):\n" + "\n".join(
        label(e) for e in fuzzy
    )
    obsolete = [e for e in entries if e.obsolete]
    assert not obsolete, "obsolete (#~) entries: run makemessages:\n" + "\n".join(label(e) for e in obsolete)


def test_placeholders_survive_translation():
    """Each translation keeps its message's named placeholders (msgfmt checks them too, but only
    when the python-format flag is there, and blocktranslate strings carry none)."""
    named = re.compile(r"%\([a-z_]+\)[-#0 +]*\d*(?:\.\d+)?[sdrgf]|\{[a-z_]+\}")
    wrong = []
    for entry in messages(parse_po(PO_FILE)):
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        expected = set().union(*(named.findall(text) for text in sources))
        for slot, text in entry.msgstr.items():
            got = set(named.findall(text))
            # A singular French form may spell out "one" instead of the count.
            if got - expected or (expected - got and not (entry.msgid_plural and slot == 0)):
                wrong.append(f"{label(entry)} msgstr[{slot}] has {sorted(got)}, expected {sorted(expected)}")
    assert not wrong, "\n".join(wrong)


# --- (b) msgfmt accepts it ------------------------------------------------------------------------


def _need(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        skip_or_fail(f"GNU gettext's {program} is not installed (Debian: apt-get install gettext)")
    return path  # type: ignore[return-value]


def test_msgfmt_check_passes():
    msgfmt = _need("msgfmt")
    done = subprocess.run(
        [msgfmt, "--check", "--check-format", "-o", "/dev/null", str(PO_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


# --- (c) up to date with the code -----------------------------------------------------------------


def test_catalogue_has_every_message_marked_in_the_code(tmp_path, settings, monkeypatch):
    """makemessages, run on a copy of guichet/ so the working tree is never touched (it writes
    temporary files next to the templates), finds nothing the committed catalogue lacks."""
    for program in ("xgettext", "msgmerge", "msguniq"):
        _need(program)
    sources = tmp_path / "src"
    shutil.copytree(
        REPO_ROOT / "guichet",
        sources / "guichet",
        ignore=shutil.ignore_patterns("locale", "__pycache__", "*.pyc", "static", "*.mo"),
    )
    out = tmp_path / "locale"
    out.mkdir()
    # With no locale/ folder in the copy, everything lands in the first LOCALE_PATHS entry.
    settings.LOCALE_PATHS = [str(out)]
    monkeypatch.chdir(sources)
    call_command("makemessages", locale=["fr"], no_location=True, verbosity=0)
    extracted = messages(parse_po(out / "fr" / "LC_MESSAGES" / "django.po"))
    assert len(extracted) > 500, "makemessages found almost nothing: is the copy complete?"
    committed = {e.key for e in messages(parse_po(PO_FILE))}
    missing = [e for e in extracted if e.key not in committed]
    assert not missing, (
        "messages marked in the code but missing from guichet/locale/fr/LC_MESSAGES/django.po — run "
        "`.venv/bin/guichet makemessages -l fr --ignore=tests --ignore=bench` and translate them:\n"
        + "\n".join(f"{'[' + e.msgctxt + '] ' if e.msgctxt else ''}{e.msgid!r}" for e in missing)
    )
    stale = committed - {e.key for e in extracted}
    assert not stale, f"entries no longer in the code (run makemessages to drop them): {sorted(stale)}"


# --- (d) the pages are French ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _back_to_default_language():
    """A French request leaves French active in this thread; later tests expect the default."""
    yield
    translation.deactivate()


@pytest.fixture
def french_world(db, settings, fast_passwords):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        pytest.fail(
            f"{MO_FILE.relative_to(REPO_ROOT)} is missing or older than the .po: run bin/setup "
            "(it compiles the translations)",
            pytrace=False,
        )
    org = make_org("Acme", "premium")
    customer = make_person("client", org=org, phone="+33 1 23 45 67 89")
    agent = make_person("agent", "agent")
    open_ticket(customer, "P3", subject="Export impossible")
    return customer, agent


def _page(client, url: str, language: str) -> str:
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200, url
    # Compare visible text: tags and attribute-free, entities decoded.
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", response.content.decode(), flags=re.S)
    return html.unescape(body)


def _shown(message: str, page: str) -> bool:
    """`message` is a whole text node or attribute value of `page` (not part of a longer sentence);
    case-blind, since labels may be shown through capfirst."""
    pattern = r"[>\"]\s*" + re.escape(message) + r"\s*[<\"]"
    return re.search(pattern, page, flags=re.IGNORECASE) is not None


def _our_strings_in(page: str) -> list[Entry]:
    """Catalogue messages (plain, several words, translated differently) shown on `page`."""
    found = []
    for entry in messages(parse_po(PO_FILE)):
        french = entry.msgstr.get(0, "")
        if entry.msgid_plural or "%" in entry.msgid or len(entry.msgid) < 12 or " " not in entry.msgid:
            continue
        if french and french != entry.msgid and _shown(entry.msgid, page):
            found.append(entry)
    return found


PAGES = {
    # page: (who signs in, French phrases that must show, English originals that must not)
    "login": (None, ["Se connecter", "Nom d'utilisateur", "Mot de passe"], ["Sign in", "User name"]),
    "portal_new": (
        "customer",
        ["Soumettre le ticket", "Impact critique sur l'activité", "Notre plan d'assistance"],
        ["Submit the ticket", "Critical business impact", "Our support plan"],
    ),
    "desk_queue": (
        "agent",
        ["File de l'équipe", "Temps ouvré restant", "Heure du client"],
        ["Team queue", "Business time left", "Skip to content"],
    ),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_main_pages_render_in_french(client, french_world, name):
    customer, agent = french_world
    who, french_phrases, english_phrases = PAGES[name]
    if who is not None:
        client.force_login(customer if who == "customer" else agent)
    url = reverse(name)
    english = _page(client, url, "en")
    french = _page(client, url, "fr")
    assert '<html lang="fr">' in french
    for phrase in french_phrases:
        assert phrase in french, f"{phrase!r} missing from the French {name} page"
    for phrase in english_phrases:
        assert phrase in english, f"{phrase!r} is not on the English {name} page: update this test"
        assert phrase not in french, f"English {phrase!r} left on the French {name} page"
    # Beyond the samples: every catalogue string seen on the English page is replaced in French.
    seen = _our_strings_in(english)
    assert len(seen) >= 3, f"too few catalogue strings recognised on the English {name} page"
    leftovers = [e.msgid for e in seen if _shown(e.msgid, french)]
    assert not leftovers, f"English left on the French {name} page: {leftovers}"
    absent = [e.msgstr[0] for e in seen if e.msgstr[0].casefold() not in french.casefold()]
    assert not absent, f"translations missing from the French {name} page: {absent}"


# --- Stored codes shown to people -----------------------------------------------------------------


def _audit_actions_written_by_services() -> set[str]:
    package = REPO_ROOT / "guichet" / "tickets" / "services"
    source = "\n".join(path.read_text(encoding="utf-8") for path in sorted(package.glob("*.py")))
    codes = set(re.findall(r"\"((?:ticket|message|contact|sla)\.[a-z_]+)\"", source))
    if 'f"sla.{kind.value}"' in source:  # the sweep writes sla.<kind> for each kind it records
        from guichet.sla import EventKind

        codes |= {f"sla.{kind.value}" for kind in (EventKind.WARNED, EventKind.BREACHED)}
    return codes


def test_every_audit_action_has_a_translated_label():
    from guichet.web.templatetags.guichet_i18n import AUDIT_ACTIONS

    codes = _audit_actions_written_by_services()
    assert {"ticket.opened", "message.reply", "sla.breached", "sla.warned"} <= codes, codes
    missing = sorted(codes - set(AUDIT_ACTIONS))
    assert not missing, f"audit actions without a label (guichet/web/templatetags/guichet_i18n.py): {missing}"


def test_audit_trail_shows_french_labels(client, french_world):
    from guichet.tickets.models import Ticket

    _customer, agent = french_world
    client.force_login(agent)
    page = _page(client, reverse("desk_ticket", args=[Ticket.objects.get().pk]), "fr")
    assert ">Ticket ouvert</strong>" in page and "Journal d'audit" in page
    english = _page(client, reverse("desk_ticket", args=[Ticket.objects.get().pk]), "en")
    assert ">Ticket opened</strong>" in english


def test_french_never_guarantees_a_response_time():
    """R-PLAN-4: the vendor "makes every effort" to meet its targets; "Première réponse garantie"
    promised more (issue 11, defect 9)."""
    promises = [
        e.msgid
        for e in messages(parse_po(PO_FILE))
        if re.search(r"garanti", " ".join(e.msgstr.values()), re.I)
    ]
    assert not promises
