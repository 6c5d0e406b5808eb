"""Review pages and the batch report in a real headless Chromium (Debian's /usr/bin/chromium driven by
Playwright for Python), with every network request refused.

Checked on a shared CDA eICR (and the repo's CDA example), a known-format note and a narrative: every
record row has a highlight in the DOM; clicking a row scrolls its highlight into view and a highlight
leads back to its row; an injected ``<script>`` never runs; the page loads offline; no horizontal scroll
at 1280 px. Screenshots go to a temporary folder (``CLINIQ_REVIEW_SHOTS`` names one to keep them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cliniq_agent.batch.outputs import ManifestRow, ManifestWriter
from cliniq_agent.engine import Engine
from cliniq_agent.review import render_review
from cliniq_agent.review.report import write_report
from cliniq_agent.core.state import RunOptions
from conftest import EXAMPLES, SHARED_DATA

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
INJECTED = '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">'

pytestmark = pytest.mark.slow


def _injected_cda() -> bytes:
    text = (EXAMPLES / "eicr_pertussis.xml").read_text(encoding="utf-8")
    escaped = INJECTED.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return text.replace("<text><paragraph>29-year-old woman", f"<text><paragraph>{escaped} 29-year-old woman", 1).encode()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Review pages of real deterministic runs, rendered from the trace store."""
    folder = tmp_path_factory.mktemp("review-pages")
    inputs: dict[str, Path | bytes] = {
        "cda_example": EXAMPLES / "eicr_pertussis.xml",
        "known_format": EXAMPLES / "known_format.txt",
        "narrative": EXAMPLES / "narrative.txt",
        "injected_text": ((EXAMPLES / "narrative.txt").read_text(encoding="utf-8") + "\n" + INJECTED + "\n").encode(),
        "injected_cda": _injected_cda(),
    }
    if (SHARED_DATA / "seed" / "sample_eicr_01.xml").is_file():
        inputs["cda_shared"] = SHARED_DATA / "seed" / "sample_eicr_01.xml"
    written = {}
    with Engine(RunOptions(use_llm=False)) as engine:
        for name, source in inputs.items():
            extraction = engine.extract(source, source_name=None if isinstance(source, Path) else f"{name}.in")
            path = folder / f"{name}.html"
            path.write_text(render_review(engine.trace_store.get(extraction.run_id)), encoding="utf-8")
            written[name] = path
    return written


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (scripts/setup.sh installs Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the test extra) is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--host-resolver-rules=MAP * ~NOTFOUND"])
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser):
    """Open a local page offline; fail the test if the page asked for anything but its own file."""
    contexts, requests = [], []

    def opener(path: Path):
        context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: requests.append(f"page error: {error}"))
        contexts.append(context)
        page.goto(path.resolve().as_uri())
        return page

    yield opener
    for context in contexts:
        context.close()
    assert [url for url in requests if not url.startswith("file:")] == []


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("CLINIQ_REVIEW_SHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("review-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check_rows(page) -> int:
    rows = page.locator("tr.item-row")
    assert rows.count() > 0
    for index in range(rows.count()):
        row = rows.nth(index)
        target = row.get_attribute("data-target")
        assert target, f"row {row.get_attribute('id')} has no highlight"
        first = page.locator(f'[data-hl~="{target.split()[0]}"]').first
        assert first.count() == 1, f"row {row.get_attribute('id')}: highlight {target} missing from the DOM"
        row.click()
        assert first.evaluate("el => el.classList.contains('active')")
        pw_expect(first).to_be_in_viewport()
    return rows.count()


def pw_expect(locator):
    from playwright.sync_api import expect

    return expect(locator)


@pytest.mark.parametrize("name", ["cda_shared", "cda_example", "known_format", "narrative"])
def test_rows_highlights_and_scrolling(name, pages, open_page, shots):
    if name not in pages:
        pytest.skip("../shared/data is not available")
    page = open_page(pages[name])
    assert _check_rows(page) >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    mark = page.locator("mark.hl[data-hl]").first
    mark.click()  # and back: the highlight leads to its row
    row = page.locator("tr.item-row.active, tr.excluded-row.active, tr.cand-row.active").first
    pw_expect(row).to_be_in_viewport()
    page.locator("tr.item-row a.jump").first.click()
    page.screenshot(path=str(shots / f"review-{name}.png"))


def test_keyboard_navigation(pages, open_page):
    page = open_page(pages["known_format"])
    link = page.locator("tr.item-row a.jump").nth(3)
    link.focus()
    page.keyboard.press("Enter")
    focused = page.evaluate("document.activeElement.tagName + ' ' + (document.activeElement.getAttribute('data-hl') || '')")
    assert focused.startswith("MARK "), focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.classList.contains('jump')")


@pytest.mark.parametrize("name", ["injected_text", "injected_cda"])
def test_injected_script_never_runs(name, pages, open_page):
    page = open_page(pages[name])
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.scripts.length") == 1  # only the page's own script
    assert page.locator("img").count() == 0
    assert "<script>window.__pwned = 1</script>" in page.locator("#source").inner_text()
    _check_rows(page)  # and the page's own script still works


def test_batch_report(pages, open_page, shots, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    writer = ManifestWriter(batch)
    with Engine(RunOptions(use_llm=False)) as engine:
        for path in (EXAMPLES / "known_format.txt", EXAMPLES / "narrative.txt", EXAMPLES / "eicr_pertussis.xml"):
            result = engine.extract(path)
            record = result.record
            writer.add(ManifestRow(case_id=path.stem, input=str(path), sha256=result.source_sha256, status="ok",
                                   route=result.route, run_id=result.run_id, ms=result.duration_ms,
                                   counts={"conditions": len(record.conditions)},
                                   reportable=[r.snomed for r in record.reportable]))
    writer.add(ManifestRow(case_id="empty", input="empty.txt", status="rejected", error="empty.txt: the input is empty"))
    writer.close()
    report, summary = write_report(batch)
    assert summary.pages == 3 and (batch / "review" / "narrative.html").is_file()
    page = open_page(report)
    assert page.locator("#failed").inner_text().count("the input is empty") == 1
    assert page.locator("#charts svg rect.bar").count() >= 4  # conditions + one histogram per route
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(shots / "report.png"), full_page=True)
    page.locator("#inputs a", has_text="narrative").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/review/narrative.html")
    _check_rows(page)


def test_policy_blocks_markup_that_slipped_past_escaping(pages, open_page, tmp_path):
    """Defence in depth: even a script written into the page itself is refused by its Content-Security-Policy."""
    html = pages["known_format"].read_text(encoding="utf-8")
    tampered = tmp_path / "tampered.html"
    tampered.write_text(html.replace("<body>", f"<body>{INJECTED}", 1), encoding="utf-8")
    page = open_page(tampered)
    assert page.evaluate("window.__pwned") is None
    _check_rows(page)
