"""``cliniq-agent batch``: the command, its rich progress bar and its summary table."""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from cliniq_agent.core.errors import UsageError
from cliniq_agent.core.resources import available_cores

BATCH_HELP = """Extract many eICRs: files, folders (recursive), globs, .zip archives, or '-' (paths on stdin).

A folder or zip folder holding CDA_eICR.xml (with its CDA_RR.xml) is one case. Writes one result file per
input under OUT/results/, OUT/manifest.jsonl (one row per input: status ok/rejected/error, route, run id,
ms, counts, reportable codes, error) and, for --format ndjson, FHIR Bulk Data files OUT/fhir/<Type>.ndjson.
A bad input never stops the batch. Exit codes: 0 all ok; 3 some inputs rejected; 4 some failed with an
internal error; 2 bad usage; 130 interrupted (continue with --resume)."""


# the bar is redrawn on a thread of the parent process, which shares the cores with the workers: rich's default
# (10 redraws a second) cost about 14 ms of CPU a second, more than the parent's own work per second at 50 docs/s
REFRESH_PER_SECOND = 2


class BatchFormat(str, Enum):
    compact = "compact"
    fhir = "fhir"
    fhir_document = "fhir-document"
    ndjson = "ndjson"


class EngineChoice(str, Enum):
    local = "local"
    ray = "ray"


def batch(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders, globs ('data/**/*.xml'), .zip archives, or '-'.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created; must be new unless --resume).")],
    output_format: Annotated[BatchFormat, typer.Option("--format", "-f", help="compact JSON per input, a FHIR Bundle per input (fhir: collection; fhir-document: document with an eICR Composition), or FHIR Bulk NDJSON per resource type (plus the bundles).")] = BatchFormat.compact,
    workers: Annotated[Optional[int], typer.Option(help="Worker processes (local) or Ray actors; default: the CPU cores available.")] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Deterministic tiers only; no language model.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue a batch in --out: skip inputs whose output is complete for the same options; rerun errors and unfinished ones.")] = False,
    engine: Annotated[EngineChoice, typer.Option(help="local: a process pool on this machine; ray: Ray Data actors (pip install cliniq-agent[ray]).")] = EngineChoice.local,
    address: Annotated[Optional[str], typer.Option(help="Ray cluster address for --engine ray (default: start a local Ray).")] = None,
    time_budget: Annotated[float, typer.Option(help="Seconds one document may take before it is stopped and recorded as rejected.")] = 300.0,
    no_trace: Annotated[bool, typer.Option("--no-trace", help="Do not persist an audit trace per input.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; only the summary.")] = False,
) -> None:
    from cliniq_agent.batch import collect_cases, run_batch
    from cliniq_agent.core.state import RunOptions

    count = workers or available_cores()
    if count < 1:
        raise UsageError("--workers must be at least 1")
    if time_budget <= 0:
        raise UsageError("--time-budget must be positive")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file, expected a folder")
    cases = collect_cases(inputs)
    if not cases:
        raise UsageError("no input documents found")
    options = RunOptions(use_llm=not no_llm, persist_trace=not no_trace, time_budget_s=time_budget)
    console = Console(stderr=True)
    sink = _RichProgress(console, disabled=quiet or not console.is_terminal)
    summary = run_batch(cases, out, options=options, output_format=output_format.value, workers=count,
                        engine=engine.value, resume=resume, ray_address=address, progress=sink)
    _print_summary(console, summary, out)
    if summary.interrupted:
        console.print("interrupted: finished inputs are in the manifest; run again with --resume to continue")
        raise typer.Exit(130)
    raise typer.Exit(summary.exit_code)


class _RichProgress:
    """done/total, docs/s, ETA and errors so far, on stderr."""

    def __init__(self, console: Console, *, disabled: bool) -> None:
        self.progress = Progress(
            TextColumn("[bold]batch"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]} docs/s"),
            TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[problems]}"),
            console=console, disable=disabled, transient=False, refresh_per_second=REFRESH_PER_SECOND,
        )
        self.task: TaskID | None = None
        self.done = 0
        self.problems = {"rejected": 0, "error": 0}

    def start(self, *, total: int, skipped: int) -> None:
        self.started = time.perf_counter()
        if skipped:
            self.progress.console.print(f"resuming: {skipped} input(s) already done")
        self.progress.start()
        self.task = self.progress.add_task("batch", total=total, rate="-", problems="")

    def advance(self, result) -> None:
        self.done += 1
        if result.status in self.problems:
            self.problems[result.status] += 1
        rate = self.done / max(time.perf_counter() - self.started, 1e-9)
        problems = ", ".join(f"{n} {k}" for k, n in self.problems.items() if n)
        self.progress.update(self.task, advance=1, rate=f"{rate:.1f}", problems=problems)

    def stop(self) -> None:
        self.progress.stop()


def _print_summary(console: Console, summary, out: Path) -> None:
    from cliniq_agent.eval.scoring import percentile

    done = len(summary.latencies_ms)
    table = Table(title=f"batch → {out}", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("inputs", str(summary.total))
    if summary.skipped:
        table.add_row("already done (--resume)", str(summary.skipped))
    for status in ("ok", "rejected", "error"):
        table.add_row(status, str(summary.statuses.get(status, 0)))
    for route, n in sorted(summary.routes.items()):
        table.add_row(f"route {route}", str(n))
    if done:
        table.add_row("wall time", f"{summary.wall_s:.1f} s")
        table.add_row("docs/s", f"{done / max(summary.wall_s, 1e-9):.1f}")
        table.add_row("latency p50 / p95", f"{percentile(summary.latencies_ms, 0.5):.0f} / "
                                           f"{percentile(summary.latencies_ms, 0.95):.0f} ms")
    for kind, n in sorted(summary.ndjson.items()):
        table.add_row(f"fhir/{kind}.ndjson", f"{n} resources")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command(help=BATCH_HELP)(batch)

