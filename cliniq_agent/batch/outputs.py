"""The batch output folder: per-case result files, ``manifest.jsonl``, ``batch.json`` and FHIR Bulk NDJSON.

    OUT/batch.json            the options the batch ran with (``--resume`` refuses other options)
    OUT/manifest.jsonl        one row per input: input, sha256, status, route, run id, ms, counts, error …
    OUT/results/<case>.json   compact record (--format compact)
    OUT/results/<case>.fhir.json   FHIR R4 Bundle (--format fhir and ndjson: collection; fhir-document: document)
    OUT/fhir/<Type>.ndjson    FHIR Bulk Data layout: one resource per line, one file per resource type (ndjson)

Every file is written to a temporary name in its folder and renamed into place, so a crash or a kill
never leaves half a JSON file; the NDJSON files are rebuilt from the per-case bundles at the end of a run.
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, Literal, NamedTuple

from pydantic import Field, ValidationError

from cliniq_agent.batch.work import CaseResult

Format = Literal["compact", "fhir", "fhir-document", "ndjson"]
MANIFEST = "manifest.jsonl"
SETTINGS = "batch.json"
TEMP_SUFFIX = ".tmp"


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def remove_partial(path: Path) -> None:
    """Delete the temporary files a writer of ``path`` that was killed mid-write left behind (see atomic_write)."""
    for temp in path.parent.glob(f".{glob.escape(path.name)}.*{TEMP_SUFFIX}"):
        temp.unlink(missing_ok=True)


def case_path(out: Path, case_id: str, suffix: str) -> Path:
    """OUT/results/<case id><suffix>, with every unsafe path part (``..``, absolute roots) removed."""
    parts = [part for part in PurePosixPath(case_id.replace("\\", "/")).parts if part not in ("", ".", "..", "/")]
    safe = [part.replace(":", "_") for part in parts] or ["input"]
    return out.joinpath("results", *safe[:-1], safe[-1] + suffix)


def result_files(out: Path, case_id: str, output_format: Format) -> list[Path]:
    return [case_path(out, case_id, ".json" if output_format == "compact" else ".fhir.json")]


def write_outputs(out: Path, result: CaseResult, output_format: Format) -> list[str]:
    """Write the case's result file(s); return their paths relative to ``out`` for the manifest."""
    if result.status != "ok":
        return []
    text = result.compact_json if output_format == "compact" else result.fhir_json
    paths = result_files(out, result.case_id, output_format)
    for path in paths:
        atomic_write(path, text + "\n")
    return [path.relative_to(out).as_posix() for path in paths]


class ManifestRow(CaseResult):
    """A manifest line: the CaseResult's manifest fields plus the output files written for it."""

    outputs: list[str] = Field(default_factory=list)


def manifest_row(result: CaseResult, outputs: list[str]) -> ManifestRow:
    return ManifestRow(**result.model_dump(), outputs=outputs)


class Finished(NamedTuple):
    """A case whose result files are written: its manifest line, ready to append, and the few fields the
    runner's summary and progress read. Made where the case ran (a pool worker), so the parent process —
    which shares the cores with the workers — only appends a line of text per case."""

    case_id: str
    status: str
    route: str | None
    ms: float
    line: str  # the manifest.jsonl line (JSON, no newline)
    peak_rss_mb: float | None = None  # of the process that ran the case (for the benchmark)


class ResultFolder(NamedTuple):
    """Where a batch's result files go, in what format; small and picklable, so every worker writes its own."""

    out: Path
    output_format: Format

    def finish(self, result: CaseResult) -> Finished:
        """Write ``result``'s file(s) (atomically) and make its manifest line."""
        outputs = write_outputs(self.out, result, self.output_format)
        return Finished(result.case_id, result.status, result.route, result.ms,
                        manifest_row(result, outputs).model_dump_json(), result.peak_rss_mb)

    def remove_partial(self, case_id: str) -> None:
        """The temporary files of a case whose writer was killed (a killed worker cannot clean up)."""
        for path in result_files(self.out, case_id, self.output_format):
            remove_partial(path)


def read_manifest(out: Path) -> list[ManifestRow]:
    """Rows of an existing manifest; a torn last line (the process was killed mid-write) is ignored."""
    path = out / MANIFEST
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(ManifestRow.model_validate_json(line))
        except ValidationError:
            continue
    return rows


class ManifestWriter:
    """Appends rows, one JSON line each; ``add`` and ``add_lines`` flush before they return, so a killed
    batch keeps every row it has reported."""

    def __init__(self, out: Path, keep: Iterable[ManifestRow] = ()) -> None:
        self.path = out / MANIFEST
        atomic_write(self.path, "".join(row.model_dump_json() + "\n" for row in keep))
        self._stream = self.path.open("a", encoding="utf-8")

    def add(self, row: ManifestRow) -> None:
        self.add_lines([row.model_dump_json()])

    def add_lines(self, lines: list[str]) -> None:
        """Append manifest lines already made (by the workers), in one write."""
        self._stream.write("".join(line + "\n" for line in lines))
        self._stream.flush()

    def close(self) -> None:
        self._stream.close()


def write_bulk_ndjson(out: Path, rows: Iterable[ManifestRow]) -> dict[str, int]:
    """OUT/fhir/<ResourceType>.ndjson from the per-case bundles of the ok rows; {type: resource count}."""
    target = out / "fhir"
    target.mkdir(parents=True, exist_ok=True)
    handles: dict[str, Any] = {}
    temps: dict[str, str] = {}
    counts: dict[str, int] = {}
    try:
        for resource in _resources(out, rows):
            kind = resource.get("resourceType", "Unknown")
            if kind not in handles:
                handle, temps[kind] = tempfile.mkstemp(dir=target, prefix=f".{kind}.", suffix=".tmp")
                handles[kind] = os.fdopen(handle, "w", encoding="utf-8")
            handles[kind].write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n")
            counts[kind] = counts.get(kind, 0) + 1
        for kind, stream in handles.items():
            stream.close()
            os.replace(temps[kind], target / f"{kind}.ndjson")
        for stale in target.glob("*.ndjson"):
            if stale.stem not in counts:
                stale.unlink()
    finally:
        for kind, stream in handles.items():
            if not stream.closed:
                stream.close()
            Path(temps[kind]).unlink(missing_ok=True)
    return counts


def _resources(out: Path, rows: Iterable[ManifestRow]) -> Iterator[dict[str, Any]]:
    for row in rows:
        if row.status != "ok":
            continue
        for name in row.outputs:
            if name.endswith(".fhir.json"):
                bundle = json.loads((out / name).read_text(encoding="utf-8"))
                for entry in bundle.get("entry", []):
                    yield entry["resource"]
