"""The design system's colours meet WCAG AA in both themes (guichet/web/static/guichet/guichet.css).

The tokens are read from the stylesheet itself (the light `:root` block and the dark one under
`prefers-color-scheme: dark`), then every text colour is checked on every background it may sit
on, and every rule that sets both a text colour and a background from tokens is checked as
written. WCAG 2.x relative luminance and contrast ratio; 4.5:1 for text (AA).
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO_ROOT

CSS = (REPO_ROOT / "guichet" / "web" / "static" / "guichet" / "guichet.css").read_text(encoding="utf-8")
AA = 4.5

TEXT = ["fg", "muted", "accent", "ok", "warn", "bad", "info", "note", "premium"]
SURFACES = ["bg", "surface", "surface-2"]


def _block_after(marker: str, text: str) -> str:
    start = text.index("{", text.index(marker)) + 1
    depth, i = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return text[start : i - 1]


def tokens(block: str) -> dict[str, str]:
    return {
        name: value.lower() for name, value in re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})\b", block)
    }


LIGHT = tokens(_block_after(":root", CSS))
DARK = LIGHT | tokens(_block_after(":root", _block_after("@media (prefers-color-scheme: dark)", CSS)))
THEMES = {"light": LIGHT, "dark": DARK}


def luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_contrast_maths_matches_wcag():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss


def test_both_themes_define_every_colour_token():
    dark_only = tokens(_block_after(":root", _block_after("@media (prefers-color-scheme: dark)", CSS)))
    colours = set(LIGHT)
    assert {*TEXT, *SURFACES, "on-accent", "on-bad", "line", "selected"} <= colours
    assert colours == set(dark_only), f"a colour not redefined for the dark theme: {colours ^ set(dark_only)}"


@pytest.mark.parametrize("theme", THEMES)
def test_every_text_colour_is_readable_on_every_surface(theme):
    t = THEMES[theme]
    low = [
        f"{text} on {surface}: {contrast(t[text], t[surface]):.2f}"
        for text in TEXT
        for surface in SURFACES
        if contrast(t[text], t[surface]) < AA
    ]
    assert not low, f"{theme} theme below AA: {low}"


def _rules() -> list[tuple[str, str]]:
    flat = re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)
    return re.findall(r"([^{}]+)\{([^{}]*)\}", flat)


@pytest.mark.parametrize("theme", THEMES)
def test_every_rule_pairing_a_text_colour_with_a_background_is_readable(theme):
    t = THEMES[theme]
    checked, low = 0, []
    for selector, body in _rules():
        colour = re.search(r"(?:^|;)\s*color:\s*var\(--([a-z0-9-]+)\)", body)
        background = re.search(r"background(?:-color)?:\s*var\(--([a-z0-9-]+)\)", body)
        if not (colour and background) or background.group(1) not in t:
            continue
        checked += 1
        ratio = contrast(t[colour.group(1)], t[background.group(1)])
        if ratio < AA:
            low.append(f"{selector.strip()}: {colour.group(1)} on {background.group(1)} = {ratio:.2f}")
    assert checked >= 25, "the rule scan found too few colour pairs: has the stylesheet's syntax changed?"
    assert not low, f"{theme} theme below AA: {low}"


def test_no_colour_is_written_outside_the_tokens():
    """Components use the tokens, so the dark theme covers them: no hex colour below the tokens."""
    body = CSS[CSS.index("/* 2. Base") :]
    assert not re.findall(r"#[0-9a-fA-F]{3,6}\b", body)
