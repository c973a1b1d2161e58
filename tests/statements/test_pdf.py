"""The PDF statement (WeasyPrint) renders in both languages, with its attainment chart and the public
key printed; a PNG of its first page is left in test-artefacts/ for a person to look at."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from guichet.statements import keys, render
from guichet.statements.builder import produce
from tests.conftest import ARTEFACTS_DIR, skip_or_fail

from .conftest import AS_OF, MONTH


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "s.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("language", "title", "proves"),
    [("en", "SLA statement", "What this statement proves"), ("fr", "Relevé SLA", "Ce que prouve ce relevé")],
)
def test_the_pdf_renders_in_both_languages_with_a_screenshot(world, tmp_path, language, title, proves):
    if not shutil.which("pdftoppm") or not shutil.which("pdftotext"):
        skip_or_fail("poppler-utils (pdftoppm, pdftotext) is missing: run bin/setup as root")
    statement, _ = produce(world.acme, MONTH, as_of=AS_OF)
    pdf = render.pdf_bytes(statement, language=language)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    assert title in text and proves in text
    assert "Acme" in text and f"#{world.tickets['downgrade'].pk}" in text
    # The public key, printed whole (it may wrap: compare without white space).
    assert keys.public_info()["public_key"] in "".join(text.split())
    assert "33.3 %" in text and "50.0 %" in text  # the attainment table (and its chart labels)
    ARTEFACTS_DIR.mkdir(exist_ok=True)
    stem = ARTEFACTS_DIR / f"statement-{language}"
    (ARTEFACTS_DIR / f"statement-{language}.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(ARTEFACTS_DIR / f"statement-{language}.pdf"),
            str(stem),
        ],
        check=True,
        timeout=60,
    )
    png = stem.with_suffix(".png")
    assert png.exists() and png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 10_000
