"""The report in a real browser: headless Chromium, no console error, no external request."""

from __future__ import annotations

import os
import re

import pytest

from pexaudit.render.browser import chromium_path, render

from .conftest import ROOT, SAMPLE, run_cli

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(os.environ.get("PEXAUDIT_SKIP_BROWSER")), reason="PEXAUDIT_SKIP_BROWSER set (make test installs chromium)"
    ),
]
ARTIFACTS = ROOT / "reports" / "test-artifacts"


def test_chromium_is_installed():
    assert chromium_path(), "Debian's chromium is missing: `make test` installs it (make apps)"


def test_report_renders_without_errors_or_external_requests(sample_run):
    proc, folder = sample_run
    assert proc.returncode == 0, proc.stderr
    outcome = render(folder / "rapport.html", pdf=True)
    assert outcome.console_errors == []
    assert outcome.external_requests == []
    assert outcome.title == "Rapport provisoire — procédure contradictoire · cd35-2024-pex"
    assert outcome.screenshot[:8] == b"\x89PNG\r\n\x1a\n" and len(outcome.screenshot) > 50_000
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "rapport-cd35-2024-pex.png").write_bytes(outcome.screenshot)
    assert outcome.pdf.startswith(b"%PDF")


def test_render_notices_external_requests_and_console_errors(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text(
        '<html><head><link rel="stylesheet" href="http://192.0.2.1/x.css"></head>'
        "<body><script>console.error('boom')</script></body></html>",
        encoding="utf-8",
    )
    outcome = render(page, screenshot=False)
    assert outcome.external_requests == ["http://192.0.2.1/x.css"]
    assert "boom" in " ".join(outcome.console_errors)


def test_audit_pdf_option_writes_an_a4_pdf(tmp_path):
    proc = run_cli("audit", SAMPLE, "--out", tmp_path, "--pdf")
    assert proc.returncode == 0, proc.stderr
    pdf = (tmp_path / "cd35-2024-pex" / "rapport.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert f"Rapport PDF : {tmp_path / 'cd35-2024-pex' / 'rapport.pdf'}" in proc.stdout  # the summary names it
    boxes = {tuple(float(v) for v in m) for m in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)}
    # A4 in points, portrait or landscape (the rejected rows print on landscape pages)
    assert boxes and all(abs(min(w, h) - 595.3) < 1 and abs(max(w, h) - 841.9) < 1 for w, h in boxes)
