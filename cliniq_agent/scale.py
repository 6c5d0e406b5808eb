"""Scale-out on Ray: a Ray Dataset of documents in, a Dataset of results out (``pip install cliniq-agent[ray]``).

    import ray
    from cliniq_agent.scale import read_documents, extract_dataset
    ds = read_documents(["s3://bucket/eicrs/", "/data/more/"])      # or any Dataset with bytes + path columns
    results = extract_dataset(ds, actors=8)                           # lazy; runs as you consume it
    results.write_parquet("s3://bucket/extracted/")

It is the shape of a model-serving pipeline: ``map_batches`` over a fixed pool of actors, each holding one
warm ``Engine`` (models, KB, code index loaded once per actor), one CPU per actor. Every input yields one
row — a bad document is a ``rejected`` row, never a failed job. ``cliniq-agent batch --engine ray`` uses
``run_cases_on_ray`` and writes exactly the files the local pool writes.

Input rows: ``bytes`` (the document) and ``path`` (its name), optionally ``case_id``, ``rr`` (the paired
RR's name) and ``rr_bytes`` (the RR itself: the row then carries the RR cross-check).
Output rows: case_id, path, rr, sha256, status (ok | rejected | error), route, run_id, ms, error, and
``counts``, ``reportable``, ``compact``, ``fhir`` as JSON text ("" when absent), and the actor's peak RSS in MiB.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from cliniq_agent.batch.inputs import Case
from cliniq_agent.batch.work import CaseResult, read_case, read_paired_rr, run_case
from cliniq_agent.core.resources import THREADS_ENV
from cliniq_agent.core.state import RunOptions

if TYPE_CHECKING:
    import ray.data

RESULT_COLUMNS = ("case_id", "path", "rr", "sha256", "status", "route", "run_id", "ms", "error", "counts",
                  "reportable", "rr_check", "compact", "fhir", "peak_rss_mb")
DOCS_PER_BLOCK = 16  # documents per map_batches call; with 4, Ray Data's per-batch overhead cost about a quarter
_FORWARDED_ENV = ("CLINIQ_AGENT_HOME", "CLINIQ_AGENT_DATA_DIR", "CLINIQ_AGENT_CACHE_DIR", THREADS_ENV)


class EngineActor:
    """A Ray Data actor: one warm Engine, applied to each batch of documents."""

    def __init__(self, options_json: str, want_fhir: bool | str, cpus: float = 1.0) -> None:
        from cliniq_agent.core.resources import share_cores
        from cliniq_agent.engine import Engine

        share_cores(1, cores=cpus)  # the model's threads: this actor's CPUs, not every core of the node

        self.engine = Engine(RunOptions.model_validate_json(options_json)).warm()
        self.want_fhir = want_fhir

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        columns: dict[str, list[Any]] = {name: [] for name in RESULT_COLUMNS}
        size = len(batch["bytes"])
        case_ids = batch.get("case_id", batch["path"])
        rrs = batch.get("rr", [""] * size)
        rr_documents = batch.get("rr_bytes", [b""] * size)
        for raw, path, case_id, rr, rr_raw in zip(batch["bytes"], batch["path"], case_ids, rrs, rr_documents):
            result = run_case(self.engine, case_id=str(case_id), display=str(path), raw=bytes(raw),
                              rr=str(rr) or None, want_fhir=self.want_fhir, rr_raw=bytes(rr_raw) or None)
            for name, value in _row(result).items():
                columns[name].append(value)
        return columns


def read_documents(paths: str | list[str], **read_args: Any) -> ray.data.Dataset:
    """A Dataset of documents (``bytes`` + ``path``) from local paths or object-storage URIs Ray Data reads.

    Reads reserve no CPU by default (``num_cpus=0``): they are I/O, and with one actor per core a read
    task that waits for a free CPU would wait for ever."""
    import ray.data

    read_args.setdefault("num_cpus", 0)
    return ray.data.read_binary_files(paths, include_paths=True, **read_args)


def extract_dataset(dataset: ray.data.Dataset, *, options: RunOptions | None = None, actors: int = 2,
                    batch_size: int = DOCS_PER_BLOCK, want_fhir: bool | str = True, cpus_per_actor: float = 1.0) -> ray.data.Dataset:
    """Map ``dataset`` (rows with ``bytes`` and ``path``) to result rows on ``actors`` warm-Engine actors."""
    options = options or RunOptions(use_llm=False)
    return dataset.map_batches(
        EngineActor,
        fn_constructor_kwargs={"options_json": options.model_dump_json(), "want_fhir": want_fhir,
                               "cpus": cpus_per_actor},
        batch_size=batch_size,
        batch_format="numpy",
        concurrency=actors,
        num_cpus=cpus_per_actor,
    )


def run_cases_on_ray(cases: list[Case], *, options: RunOptions, actors: int, want_fhir: bool | str,
                     address: str | None = None) -> Iterator[CaseResult]:
    """Batch back end: read the cases here, extract them on Ray, yield CaseResults as rows stream back."""
    import ray
    import ray.data

    started_here = not ray.is_initialized()
    if started_here:
        env = {key: os.environ[key] for key in _FORWARDED_ENV if key in os.environ}
        init_args: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                     "runtime_env": {"env_vars": env}}
        if address:
            ray.init(address=address, **init_args)
        else:
            ray.init(num_cpus=max(actors, 1), **init_args)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        items = []
        for case in cases:
            raw, read_error = read_case(case.document)
            if raw is None:
                yield CaseResult(case_id=case.case_id, input=case.display, rr=case.rr_display,
                                 status="rejected", error=read_error)
                continue
            items.append({"bytes": raw, "path": case.display, "case_id": case.case_id,
                          "rr": case.rr_display or "", "rr_bytes": read_paired_rr(case) or b""})
        if not items:
            return
        # blocks of DOCS_PER_BLOCK: results still stream back (about 0.3 s of work each) and no actor waits long
        dataset = ray.data.from_items(items, override_num_blocks=max(1, -(-len(items) // DOCS_PER_BLOCK)))
        for row in extract_dataset(dataset, options=options, actors=actors, want_fhir=want_fhir).iter_rows():
            yield case_result(row)
    finally:
        if started_here:
            ray.shutdown()


def _row(result: CaseResult) -> dict[str, Any]:
    return {
        "case_id": result.case_id, "path": result.input, "rr": result.rr or "", "sha256": result.sha256 or "",
        "status": result.status, "route": result.route or "", "run_id": result.run_id or "", "ms": result.ms,
        "error": result.error or "", "counts": json.dumps(result.counts), "reportable": json.dumps(result.reportable),
        "rr_check": json.dumps(result.rr_check) if result.rr_check is not None else "",
        "compact": result.compact_json or "", "fhir": result.fhir_json or "",
        "peak_rss_mb": result.peak_rss_mb or 0.0,
    }


def case_result(row: dict[str, Any]) -> CaseResult:
    """A result row of ``extract_dataset`` back as the CaseResult the batch writer takes."""
    return CaseResult(
        case_id=row["case_id"], input=row["path"], rr=row["rr"] or None, sha256=row["sha256"] or None,
        status=row["status"], route=row["route"] or None, run_id=row["run_id"] or None, ms=float(row["ms"]),
        error=row["error"] or None, counts=json.loads(row["counts"]), reportable=json.loads(row["reportable"]),
        rr_check=json.loads(row["rr_check"]) if row.get("rr_check") else None,
        compact_json=row["compact"] or None, fhir_json=row["fhir"] or None,
        peak_rss_mb=float(row.get("peak_rss_mb") or 0) or None,
    )
