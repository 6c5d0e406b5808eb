"""Review pages and reports without a browser: span highlighting and escaping, what the trace stores for
them (source text, agent candidates, CDA sections), the page model, and the two CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cliniq_agent.batch.outputs import ManifestRow, ManifestWriter
from cliniq_agent.cli.main import app
from cliniq_agent.engine import Engine
from cliniq_agent.core.errors import UsageError
from cliniq_agent.review import render_review
from cliniq_agent.review.highlight import Mark, highlight, locate
from cliniq_agent.review.page import build_page
from cliniq_agent.core.state import RunOptions
from conftest import EXAMPLES

NOTE = ("Patient: Jo Test\nHPI: 5 yo with fever. Assessment: probable coccidioidomycosis pneumonia. "
        "Started on doxycycline for a tick bite.\nLab: Coccidioides antibody positive.\n<b onmouseover=alert(1)>x</b>\n")


@pytest.fixture(scope="module")
def engine():
    with Engine(RunOptions(use_llm=False)) as warm:
        yield warm


def test_highlight_escapes_and_handles_overlaps():
    text = "BP 112/70 <script>x</script>"
    html = str(highlight(text, [Mark(0, 9, "a", "tier-line", "sbp"), Mark(3, 9, "b", "tier-line", "dbp"),
                                Mark(10, 18, "c", "tier-regex", '"quoted" <title>')]))
    assert "<script>" not in html and "&lt;script&gt;</mark>x&lt;/script&gt;" in html
    assert 'data-hl="a b"' in html and 'data-hl="a"' in html  # the overlap is one piece naming both spans
    assert html.count('class="anchor"') == 3 and 'id="src-b"' in html
    assert "&#34;quoted&#34; &lt;title&gt;" in html
    assert locate(text, (0, 99), "BP 112/70") == ((0, 9), True)  # a span outside the text: found by its words
    assert locate(text, None, "nowhere") == (None, False)


def test_trace_keeps_source_candidates_and_sections(engine):
    narrative = engine.extract(NOTE)
    trace = engine.trace_store.get(narrative.run_id)
    assert trace.source_text == NOTE and "source_text" not in trace.model_dump()
    candidates = [c for step in trace.steps for k, v in step.outputs.items() if k.startswith("candidates:") for c in v]
    assert {c["phrase"] for c in candidates} >= {"doxycycline"}
    assert all(c["hits"] and c["verdict"] and "score" in c["hits"][0] for c in candidates)
    cda = engine.trace_store.get(engine.extract(EXAMPLES / "eicr_pertussis.xml").run_id)
    outputs = next(step.outputs["cda"] for step in cda.steps if "cda" in step.outputs)
    assert outputs["doc_kind"] == "eicr" and any(s["kind"] == "problems" for s in outputs["sections"])
    kept_out = engine.extract(NOTE, trace_source=False)
    assert engine.trace_store.get(kept_out.run_id).source_text is None


def test_page_places_every_piece_of_evidence(engine):
    for source in (EXAMPLES / "eicr_pertussis.xml", EXAMPLES / "known_format.txt", EXAMPLES / "narrative.txt", NOTE):
        page = build_page(engine.trace_store.get(engine.extract(source).run_id))
        assert page.unlocated == 0, source
        assert all(row.keys for _, rows, _ in page.groups for row in rows), source


def test_cda_page_lists_entries_under_sections_with_raw_xml(engine):
    trace = engine.trace_store.get(engine.extract(EXAMPLES / "eicr_pertussis.xml").run_id)
    page = build_page(trace)
    problems = next(s for s in page.cda.sections if s.kind == "problems")
    assert problems.entries and "<observation" in problems.entries[0].raw_xml.replace("cda:", "")
    assert problems.entries[0].keys  # the pertussis condition rests on it
    html = render_review(trace)
    assert "Pertussis" in html and "raw XML" in html and html.count("<script>") == 1
    assert "Content-Security-Policy" in html and "default-src &#39;none&#39;" in html  # autoescaped attribute


def test_page_without_stored_source_lists_evidence(engine):
    trace = engine.trace_store.get(engine.extract(NOTE, trace_source=False).run_id)
    html = render_review(trace)
    assert "is not in the trace store" in html and "coccidioidomycosis" in html
    assert "&lt;b onmouseover" not in html  # the source is not there at all


def test_agent_candidates_on_the_page(engine):
    html = render_review(engine.trace_store.get(engine.extract(NOTE).run_id))
    assert 'class="cand-row" data-target="c' in html and "doxycycline" in html
    assert "&lt;b onmouseover=alert(1)&gt;x&lt;/b&gt;" in html and "<b onmouseover" not in html


def test_cli_review_and_report(engine, tmp_path):
    runner = CliRunner()
    page = tmp_path / "one.html"
    result = runner.invoke(app, ["review", str(EXAMPLES / "known_format.txt"), "--no-llm", "--out", str(page)])
    assert result.exit_code == 0, result.output
    assert "Legionnaires" in page.read_text(encoding="utf-8")
    run = engine.extract(EXAMPLES / "narrative.txt")
    result = runner.invoke(app, ["review", run.run_id[:10], "--out", str(tmp_path)])
    assert result.exit_code == 0 and (tmp_path / f"review-{run.run_id[:12]}.html").is_file()
    result = runner.invoke(app, ["review", "no-such-run-or-file"])
    assert isinstance(result.exception, UsageError)

    batch = tmp_path / "batch"
    batch.mkdir()
    writer = ManifestWriter(batch)
    writer.add(ManifestRow(case_id="cases/narrative", input="narrative.txt", status="ok", route=run.route,
                           run_id=run.run_id, ms=run.duration_ms, reportable=["14189004"]))
    writer.add(ManifestRow(case_id="lost", input="lost.txt", status="ok", route="narrative", run_id="0" * 32, ms=5.0))
    writer.add(ManifestRow(case_id="bad", input="bad.xml", status="error", error="internal error: boom"))
    writer.close()
    result = runner.invoke(app, ["report", str(batch)])
    assert result.exit_code == 0, result.output
    report = (batch / "report.html").read_text(encoding="utf-8")
    assert 'href="review/cases/narrative.html"' in report and "Measles (14189004)" in report
    assert "internal error: boom" in report and "1 successful input(s) have no trace" in report
    assert (batch / "review" / "cases" / "narrative.html").is_file()
    assert isinstance(runner.invoke(app, ["report", str(tmp_path / "nothing")]).exception, UsageError)
    assert json.loads((batch / "manifest.jsonl").read_text().splitlines()[0])["case_id"] == "cases/narrative"


def test_rr_determination_beside_the_engines(engine, shared_data, tmp_path):
    case = next(p for p in sorted((shared_data / "external" / "phdi-dev").iterdir()) if (p / "CDA_RR.xml").is_file())
    eicr = engine.extract(case / "CDA_eICR.xml")
    runner = CliRunner()
    page = tmp_path / "with-rr.html"
    result = runner.invoke(app, ["review", eicr.run_id, "--rr", str(case / "CDA_RR.xml"), "--out", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert "The RR given with this eICR" in html and "determined these conditions" in html
    assert "the RR names it too" in html or "not in the RR" in html or not eicr.record.reportable

    batch = tmp_path / "batch"
    batch.mkdir()
    writer = ManifestWriter(batch)
    writer.add(ManifestRow(case_id="phdi/case", input=str(case / "CDA_eICR.xml"), rr=str(case / "CDA_RR.xml"),
                           status="ok", route=eicr.route, run_id=eicr.run_id, ms=eicr.duration_ms))
    writer.add(ManifestRow(case_id="phdi/zipped", input="gone.zip!a/CDA_eICR.xml", rr="gone.zip!a/CDA_RR.xml",
                           status="ok", route=eicr.route, run_id=eicr.run_id, ms=eicr.duration_ms))
    writer.close()
    assert runner.invoke(app, ["report", str(batch)]).exit_code == 0
    assert "The RR given with this eICR" in (batch / "review" / "phdi" / "case.html").read_text(encoding="utf-8")
    assert "1 RR(s) named in the manifest could not be read here" in (batch / "report.html").read_text(encoding="utf-8")
