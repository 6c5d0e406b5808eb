"""``cliniq-agent batch``: cases in, one result file per case plus a manifest out, on a local pool or Ray.

The runner owns the output folder: it decides what a resumed batch skips, has every result file written
atomically (by the local pool's workers themselves; for Ray, here), appends one manifest row per case as
results arrive (so a killed batch keeps every finished row), and rebuilds the FHIR Bulk NDJSON files from
the per-case bundles at the end.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from cliniq_agent import __version__
from cliniq_agent.batch.inputs import Case
from cliniq_agent.batch.outputs import (
    SETTINGS,
    TEMP_SUFFIX,
    Finished,
    Format,
    ManifestRow,
    ManifestWriter,
    ResultFolder,
    atomic_write,
    read_manifest,
    result_files,
    write_bulk_ndjson,
)
from cliniq_agent.core.errors import UsageError
from cliniq_agent.core.state import RunOptions

EngineKind = Literal["local", "ray"]

EXIT_ALL_OK = 0
EXIT_SOME_REJECTED = 3  # every input has a row; some were refused as unusable input
EXIT_SOME_FAILED = 4  # some inputs hit an internal error (a bug) or killed their worker twice


class BatchSettings(BaseModel):
    """What decides the content of the outputs: a resumed batch must use the same."""

    version: str = __version__
    output_format: Format
    options: RunOptions

    def fingerprint(self) -> str:
        relevant = self.options.model_dump(mode="json", exclude={"persist_trace", "time_budget_s"})
        text = json.dumps({"version": self.version, "format": self.output_format, "options": relevant}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class BatchSummary(BaseModel):
    total: int
    skipped: int = 0
    statuses: Counter[str] = Field(default_factory=Counter)
    routes: Counter[str] = Field(default_factory=Counter)
    latencies_ms: list[float] = Field(default_factory=list)
    wall_s: float = 0.0
    interrupted: bool = False
    ndjson: dict[str, int] = Field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        if self.statuses.get("error"):
            return EXIT_SOME_FAILED
        if self.statuses.get("rejected"):
            return EXIT_SOME_REJECTED
        return EXIT_ALL_OK


def plan(cases: list[Case], out: Path, settings: BatchSettings, *, resume: bool) -> tuple[list[Case], list[ManifestRow]]:
    """(cases to run, manifest rows to keep). Without --resume an existing batch folder is refused."""
    rows = read_manifest(out)
    saved = out / SETTINGS
    if not resume:
        if rows or saved.exists():
            raise UsageError(f"--out {out}: already holds a batch (manifest.jsonl); pass --resume to continue it, "
                             "or choose an empty folder")
        return cases, []
    if saved.exists():
        previous = json.loads(saved.read_text(encoding="utf-8")).get("fingerprint")
        if previous != settings.fingerprint():
            raise UsageError(f"--out {out}: was made with other options or another version; --resume needs the same "
                             "--format and options (or use a new folder)")
    done = {row.case_id: row for row in rows if _complete(out, row, settings.output_format)}
    wanted = {case.case_id for case in cases}
    keep = [row for case_id, row in done.items() if case_id in wanted]
    kept_ids = {row.case_id for row in keep}
    return [case for case in cases if case.case_id not in kept_ids], keep


def _complete(out: Path, row: ManifestRow, output_format: Format) -> bool:
    """A row counts as done when it is final (ok with all its files, or rejected); errors are run again."""
    if row.status == "rejected":
        return True
    if row.status != "ok":
        return False
    expected = {p.relative_to(out).as_posix() for p in result_files(out, row.case_id, output_format)}
    return expected <= set(row.outputs) and all((out / name).is_file() for name in expected)


def run_batch(cases: list[Case], out: Path, *, options: RunOptions, output_format: Format, workers: int,
              engine: EngineKind = "local", resume: bool = False, ray_address: str | None = None,
              progress: ProgressSink | None = None) -> BatchSummary:
    """Run ``cases`` into ``out``; always returns a summary (Ctrl-C included: ``interrupted`` is set)."""
    settings = BatchSettings(output_format=output_format, options=options)
    todo, keep = plan(cases, out, settings, resume=resume)
    if resume:
        _remove_stale_temps(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / SETTINGS, json.dumps({"fingerprint": settings.fingerprint(),
                                             **settings.model_dump(mode="json")}, indent=2) + "\n")
    summary = BatchSummary(total=len(cases), skipped=len(keep))
    for row in keep:
        summary.statuses[row.status] += 1
    manifest = ManifestWriter(out, keep)
    sink = progress or ProgressSink()
    sink.start(total=len(todo), skipped=len(keep))
    clock = time.perf_counter()
    want_fhir: bool | str = "document" if output_format == "fhir-document" else output_format != "compact"
    folder = ResultFolder(out, output_format)
    try:
        for finished in _finished(todo, folder, options=options, workers=workers, engine=engine,
                                  want_fhir=want_fhir, ray_address=ray_address):
            manifest.add_lines([done.line for done in finished])  # flushed before anything reports them
            for done in finished:
                summary.statuses[done.status] += 1
                if done.route:
                    summary.routes[done.route] += 1
                summary.latencies_ms.append(done.ms)
                sink.advance(done)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        manifest.close()
        summary.wall_s = time.perf_counter() - clock
        sink.stop()
    if output_format == "ndjson" and not summary.interrupted:
        summary.ndjson = write_bulk_ndjson(out, read_manifest(out))
    return summary


def _remove_stale_temps(out: Path) -> None:
    """Temporary files of writers killed with the whole batch (kill -9 of the process group): never results."""
    for temp in out.rglob(f".*{TEMP_SUFFIX}"):
        if temp.is_file():
            temp.unlink(missing_ok=True)


def _finished(cases: list[Case], folder: ResultFolder, *, options: RunOptions, workers: int, engine: EngineKind,
              want_fhir: bool | str, ray_address: str | None) -> Iterator[list[Finished]]:
    """Finished cases, in the groups they arrive in, with their result files written."""
    if not cases:
        return iter(())
    if engine == "ray":
        from cliniq_agent.scale import run_cases_on_ray

        results = run_cases_on_ray(cases, options=options, actors=workers, want_fhir=want_fhir, address=ray_address)
        return ([folder.finish(result)] for result in results)
    from cliniq_agent.batch.pool import LocalPool

    return LocalPool(workers, options, folder, want_fhir=want_fhir).run(cases)


class ProgressSink:
    """Where progress goes; the CLI uses a rich progress bar, the API and tests this silent default."""

    def start(self, *, total: int, skipped: int) -> None:
        """Called once before the first result."""

    def advance(self, result: Finished) -> None:
        """Called once per finished case (its manifest row is written)."""

    def stop(self) -> None:
        """Called once at the end (also on Ctrl-C)."""

