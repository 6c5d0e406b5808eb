"""``cliniq-agent review`` (one run as an HTML page) and ``cliniq-agent report`` (a batch dashboard)."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cliniq_agent.core.errors import UsageError

if TYPE_CHECKING:
    from cliniq_agent.core.state import RunOptions
    from cliniq_agent.trace import RunTrace, TraceStore

REVIEW_HELP = (
    "Write one self-contained HTML review page of a run: the source document with the words behind every item "
    "highlighted and coloured by tier (for CDA: each section's narrative and its coded entries, raw XML one click "
    "away), the record (click a row to see its evidence, click a highlight to see its row), excluded mentions with "
    "the reason, reportability with its triggers (and the RR's determination), and the node timeline with the "
    "agent's candidates, index hits, scores and decisions.\n\n"
    "TARGET is a run id (or a unique prefix, see 'cliniq-agent trace list') or a file to extract first. The page "
    "needs no network and runs no code from the document; it opens from disk. It contains the document: handle it "
    "as PHI."
)

REPORT_HELP = (
    "Write an HTML dashboard of a batch output folder (from 'cliniq-agent batch'): counts by status and route, "
    "reportable conditions by count, a latency histogram per route, the slowest inputs and the rejected or failed "
    "ones with their errors. Also writes BATCH_DIR/review/<case>.html for every successful input whose run is in "
    "this machine's trace store, and links each input to its page. Offline, no network."
)


def review(
    target: Annotated[str, typer.Argument(help="Run id (or unique prefix of 6+ characters), or an eICR file to extract now.")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Where to write the page (default: ./review-<run id>.html).")] = None,
    open_page: Annotated[bool, typer.Option("--open", help="Open the page in the default browser afterwards.")] = False,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="When TARGET is a file: deterministic tiers only.")] = False,
    recover: Annotated[bool, typer.Option("--recover", help="When TARGET is a file: salvage truncated/malformed XML.")] = False,
    rr: Annotated[Optional[str], typer.Option("--rr", help="The Reportability Response that came with the eICR: a run id or an RR file (extracted as its own run); the page compares its determination with the engine's.")] = None,
) -> None:
    from cliniq_agent.review import render_review
    from cliniq_agent.core.state import RunOptions
    from cliniq_agent.trace import TraceStore

    store = TraceStore()
    options = RunOptions(use_llm=not no_llm, recover_xml=recover, persist_trace=True, trace_source=True)
    trace = _stored_run(target, store, options)
    rr_trace = _stored_run(rr, store, options.model_copy(update={"use_llm": False})) if rr else None
    destination = out or Path(f"review-{trace.run_id[:12]}.html")
    if destination.is_dir():
        destination = destination / f"review-{trace.run_id[:12]}.html"
    from cliniq_agent.batch.outputs import atomic_write

    atomic_write(destination, render_review(trace, rr_trace))
    note = "" if trace.source_text is not None else " (this run kept no source text: evidence is listed, not highlighted)"
    typer.echo(f"wrote {destination} (run {trace.run_id}, route {trace.route}){note}", err=True)
    if open_page:
        webbrowser.open(destination.resolve().as_uri())


def _stored_run(target: str, store: "TraceStore", options: "RunOptions") -> "RunTrace":
    """The stored run ``target`` names: a run id (or prefix), or a file extracted now into ``store``."""
    path = Path(target)
    if path.is_file():
        from cliniq_agent.engine import Engine

        with Engine(options, trace_store=store) as engine:
            target = engine.extract(path).run_id
    elif path.exists():
        raise UsageError(f"{target}: not a file (give a run id or one eICR file)")
    trace = store.get(target)
    if trace is None:
        raise UsageError(f"'{target}' is neither a file nor a run id in the trace store (see 'cliniq-agent trace list')")
    return trace


def report(
    batch_dir: Annotated[Path, typer.Argument(help="A batch output folder holding manifest.jsonl.")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Where to write the dashboard (default: BATCH_DIR/report.html).")] = None,
    pages: Annotated[bool, typer.Option("--pages/--no-pages", help="Also write a review page per successful input under BATCH_DIR/review/.")] = True,
    open_page: Annotated[bool, typer.Option("--open", help="Open the dashboard in the default browser afterwards.")] = False,
) -> None:
    from cliniq_agent.batch.outputs import MANIFEST
    from cliniq_agent.review.report import write_report

    if not (batch_dir / MANIFEST).is_file():
        raise UsageError(f"{batch_dir}: no {MANIFEST} here (give the --out folder of 'cliniq-agent batch')")
    if out is not None and out.is_dir():
        out = out / "report.html"
    written, result = write_report(batch_dir, out, pages=pages)
    typer.echo(f"wrote {written}: {len(result.inputs)} inputs, {result.pages} review pages"
               + (f", {result.missing_traces} without a trace here" if result.missing_traces else ""), err=True)
    if open_page:
        webbrowser.open(written.resolve().as_uri())


def register(app: typer.Typer) -> None:
    app.command("review", help=REVIEW_HELP)(review)
    app.command("report", help=REPORT_HELP)(report)
