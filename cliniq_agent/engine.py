"""The Engine: everything a run needs, loaded once and kept warm between documents.

    with Engine(RunOptions(use_llm=False)) as engine:
        result = engine.extract(Path("eicr.xml"))
        for outcome in engine.extract_many(paths, workers=2):
            print(outcome.status, outcome.source_name)

What it holds: the compiled LangGraph graph, the trace store, and — once ``warm()`` ran or the first
document needed them — the terminology KB, the CDA rules, the ConText rules, the clinical-criteria tables,
the code index (Chroma + sentence-transformers) and the language models the options call for. The
read-only tables are loaded once per *process* and shared by every Engine in it (they never change after
loading); the language models are held in a per-process registry with one lock per model, and an Engine
releases the models it loaded when it is closed and no other open Engine uses them.

Threads: ``extract`` may be called from several threads at once. Parsing, the text tiers, reportability
and FHIR building run concurrently (Python-level work, so the GIL limits the gain); loading a resource
happens once, under a lock; calls into one language model are serialised by that model's lock (a
llama.cpp context is not thread-safe), calls into different models are not; trace writes go to SQLite in
WAL mode. For CPU-bound throughput use processes — ``cliniq-agent batch --workers N`` runs one Engine per
worker process, and ``cliniq_agent.scale`` one per Ray actor.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from cliniq_agent import __version__
from cliniq_agent.core.budget import time_budget
from cliniq_agent.core.errors import CliniqError, InputError
from cliniq_agent.core.ingest import read_source
from cliniq_agent.core.extraction import Extraction
from cliniq_agent.core.resources import set_offline_environment
from cliniq_agent.core.state import RunOptions, RunState
from cliniq_agent.trace import RunTrace, TraceStore

Source = str | bytes | Path
Status = Literal["ok", "rejected", "error"]

#: The state keys ``extract`` builds its Extraction from.
_RESULT_KEYS = ("route", "format", "record", "excluded", "steps", "fhir", "model_runs", "agent_reports")
_OPEN_MODELS: dict[Any, int] = {}  # model spec → number of open engines that loaded it
_OPEN_MODELS_LOCK = threading.Lock()


class Outcome(BaseModel):
    """One input's result in ``extract_many``: the extraction, or why there is none (never an exception)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: int
    source_name: str
    status: Status
    extraction: Extraction | None = None
    error: str | None = None
    duration_ms: float = 0.0


class Engine:
    """Extraction with every resource loaded once; see the module docstring for what runs concurrently."""

    def __init__(self, options: RunOptions | None = None, *, trace_store: TraceStore | None = None,
                 **overrides: Any) -> None:
        set_offline_environment()
        base = options or RunOptions()
        self.options = RunOptions.model_validate({**base.model_dump(), **overrides}) if overrides else base
        self._trace_store = trace_store
        self._store_lock = threading.Lock()
        self._models: list[Any] = []
        self._closed = False
        from cliniq_agent.graph import build_graph

        self._graph = build_graph()

    # -- lifecycle ---------------------------------------------------------------------------------------

    def warm(self) -> Engine:
        """Load every resource the options call for now, so the first document is not slow."""
        from cliniq_agent.warmup import load_resources

        for spec in load_resources(self.options):
            with _OPEN_MODELS_LOCK:
                if spec not in self._models:
                    self._models.append(spec)
                    _OPEN_MODELS[spec] = _OPEN_MODELS.get(spec, 0) + 1
        return self

    def close(self) -> None:
        """Release the language models this engine loaded (unless another open engine still uses them)."""
        if self._closed:
            return
        self._closed = True
        from cliniq_agent.llm.runtime import release

        with _OPEN_MODELS_LOCK:
            for spec in self._models:
                _OPEN_MODELS[spec] -= 1
                if _OPEN_MODELS[spec] <= 0:
                    del _OPEN_MODELS[spec]
                    release(spec)
            self._models.clear()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def trace_store(self) -> TraceStore:
        with self._store_lock:
            if self._trace_store is None:
                self._trace_store = TraceStore()
            return self._trace_store

    # -- runs --------------------------------------------------------------------------------------------

    def extract(self, source: Source, *, source_name: str | None = None, rr: Source | None = None,
                **overrides: Any) -> Extraction:
        """Extract one document: a ``Path`` (read from disk), ``bytes``, or the document's text as ``str``.

        A one-line ``str`` that names a file is refused (pass a Path). ``overrides`` change this run's
        options (e.g. ``build_fhir=True``). Raises ``InputError`` for unusable input (``BudgetExceeded`` when
        the run overran its time budget); every run, failed ones too, is traced unless ``persist_trace`` is
        off. ``rr``: the eICR's Reportability Response (Path, bytes or text) adds ``rr_check`` (cliniq_agent/rrcheck);
        without it nothing changes.
        """
        if self._closed:
            raise RuntimeError("this Engine is closed")
        options = RunOptions.model_validate({**self.options.model_dump(), **overrides}) if overrides else self.options
        run_id = uuid.uuid4().hex
        started = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        clock = time.perf_counter()
        trace = RunTrace(run_id=run_id, started_at=started, version=__version__,
                         options=options.model_dump(mode="json"))
        try:
            with time_budget(options.time_budget_s):
                document = read_source(source, name=source_name)
                trace.source_name, trace.source_sha256 = document.name, document.sha256
                if options.trace_source:  # for `cliniq-agent review` (see trace/store.py)
                    trace.source_text = document.text
                # only the keys the Extraction is built from (all of them for the RR cross-check, which reads the
                # whole state): LangGraph reads the output keys back after every super-step
                state: RunState = self._graph.invoke({"run_id": run_id, "options": options, "source": document},
                                                     output_keys=None if rr is not None else _RESULT_KEYS)
                if rr is not None:  # the RR cross-check is additive: it only runs when an RR is given
                    from cliniq_agent.rrcheck.run import run_rr_check

                    state = run_rr_check(rr, state)
        except CliniqError as err:
            self._finish(trace, clock, status="rejected", error=str(err), persist=options.persist_trace)
            raise
        except Exception as err:
            self._finish(trace, clock, status="error", error=f"{type(err).__name__}: {err}",
                         persist=options.persist_trace)
            raise
        result = Extraction(
            run_id=run_id, route=state["route"], format=state["format"], source_name=document.name,
            source_sha256=document.sha256, record=state["record"], excluded=state.get("excluded", []),
            steps=state.get("steps", []), duration_ms=0.0, fhir_bundle=state.get("fhir"),
            rr_check=state.get("rr_check"), model_runs=state.get("model_runs", []),
            agent_reports=state.get("agent_reports", []),
        )
        result.duration_ms = self._finish(trace, clock, status="ok", persist=options.persist_trace, result=result)
        return result

    def try_extract(self, source: Source, *, index: int = 0, source_name: str | None = None,
                    **overrides: Any) -> Outcome:
        """Like ``extract`` but never raises for one document: failures become an Outcome with a status."""
        name = source_name or (str(source) if isinstance(source, Path) else f"<input {index}>")
        clock = time.perf_counter()
        try:
            extraction = self.extract(source, source_name=source_name, **overrides)
        except InputError as err:
            return Outcome(index=index, source_name=name, status="rejected", error=str(err),
                           duration_ms=_ms(clock))
        except Exception as err:  # an internal bug on this input: recorded, the stream goes on
            return Outcome(index=index, source_name=name, status="error", error=f"{type(err).__name__}: {err}",
                           duration_ms=_ms(clock))
        return Outcome(index=index, source_name=extraction.source_name, status="ok", extraction=extraction,
                       duration_ms=_ms(clock))

    def extract_many(self, sources: Iterable[Source], *, workers: int = 1, **overrides: Any) -> Iterator[Outcome]:
        """Yield one Outcome per input, in input order; a bad input never stops the stream.

        ``workers`` threads share this engine (see the module docstring: threads overlap model calls and
        I/O, not Python work — use ``batch --workers`` or Ray for CPU scale-out). At most ``2 * workers``
        inputs are in flight, so an endless iterator streams in bounded memory.
        """
        if workers < 1:
            raise ValueError("workers must be at least 1")
        numbered = enumerate(sources)
        if workers == 1:
            for index, source in numbered:
                yield self.try_extract(source, index=index, **overrides)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cliniq-engine") as pool:
            pending = []
            for index, source in numbered:
                pending.append(pool.submit(self.try_extract, source, index=index, **overrides))
                if len(pending) >= 2 * workers:
                    yield pending.pop(0).result()
            for future in pending:
                yield future.result()

    def _finish(self, trace: RunTrace, clock: float, *, status: str, persist: bool, error: str | None = None,
                result: Extraction | None = None) -> float:
        trace.duration_ms = round((time.perf_counter() - clock) * 1000, 3)
        trace.status, trace.error = status, error
        if persist:   # the trace is only written, never returned: a run that is not persisted need not fill it
            if result is not None:
                trace.format, trace.route = result.format, result.route
                trace.record_json = result.record.model_dump_json()  # the same JSON as record's, without the dict
                trace.excluded, trace.steps = result.excluded, result.steps
            self.trace_store.save(trace)
        return trace.duration_ms


def _ms(clock: float) -> float:
    return round((time.perf_counter() - clock) * 1000, 3)
