"""Throughput suite: docs/s and latency of the deterministic route in-process, on the local pool and on Ray.

Measured, one run, on this machine: in-process single thread (one warm Engine, trace persisted as by
default), ``batch`` back ends with 1 and 2 worker processes, Ray Data with 2 actors. Warm-up (worker
start, model and index loading) is excluded from the rates: a back end's rate is the documents finished
after its first result divided by the time from that first result to the last — the steady state a long
archive runs at (results that arrive in one block with the first are not counted). Also shown: each back end's warm-up, latency p50/p95, peak RSS per worker, and the
scaling efficiency (rate with N workers / (N x rate with 1)). In-process also shows docs per CPU-second of
the process (the per-core speed, which other load on the machine changes far less than wall-clock docs/s).
The ``batch`` and Ray back ends run the real ``run_batch`` (result files and manifest written to a temporary
folder) and show the CPU milliseconds per document of the parent process (reading inputs, receiving
results, writing the manifest) and of its worker processes, and the parent's share of the two: with as
many workers as cores the parent's CPU is taken from the workers, so its share is the part of sub-linear
scaling the batch's own plumbing causes; workers' CPU per document rising with 2 workers is the rest
(cores contending for caches and memory, other load on the machine).
The last table *projects* documents per day for larger core counts from the measured per-core rate and the
measured 2-worker efficiency.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from cliniq_agent.batch.inputs import Case, Member
from cliniq_agent.batch.outputs import Finished
from cliniq_agent.batch.runner import ProgressSink
from cliniq_agent.batch.work import CaseResult, peak_rss_mb
from cliniq_agent.eval.scoring import percentile
from cliniq_agent.core.state import RunOptions

PROJECTED_CORES = (1, 2, 8, 32, 128)
SAME_ARRIVAL_S = 0.005  # results closer than this to the first arrived with it


class Measured(BaseModel):
    data: str
    backend: str
    workers: int
    docs: int
    warmup_s: float
    rate: float  # docs/s, steady state
    p50_ms: float
    p95_ms: float
    peak_rss_mb: float
    errors: int
    cpu_rate: float | None = None  # docs per CPU-second of this process (in-process only), steady state
    parent_cpu_ms: float | None = None  # per document, steady state: this process (batch back ends)
    worker_cpu_ms: float | None = None  # per document, steady state: every process this one started


def phdi_cases(data: Path, rounds: int) -> list[Case]:
    files = sorted((data / "external" / "phdi-dev").glob("*/CDA_eICR.xml"))
    return [Case(case_id=f"r{r}/{f.parent.name}", document=Member(path=str(f))) for r in range(rounds) for f in files]


def known_format_cases(data: Path, folder: Path, limit: int) -> list[Case]:
    """The seed's val-compact notes (known-format text) written to files, as a batch would read them."""
    from cliniq_agent.eval.datasets import seed_val

    cases = []
    for case in seed_val(data, limit):
        path = folder / f"{case.case_id}.txt"
        path.write_text(case.text, encoding="utf-8")
        cases.append(Case(case_id=case.case_id, document=Member(path=str(path))))
    return cases


def _steady(results: Iterator[CaseResult], started: float) -> tuple[list[CaseResult], float, float]:
    """(results, seconds until the first result, steady docs/s after it)."""
    collected: list[CaseResult] = []
    arrivals: list[float] = []
    for result in results:
        arrivals.append(time.perf_counter())
        collected.append(result)
    return (collected, *_steady_rate(arrivals, started))


def _steady_rate(arrivals: list[float], started: float) -> tuple[float, float]:
    """(seconds until the first result, steady docs/s after it).

    Results that arrive together with the first one (Ray hands back whole blocks) were done before the
    clock starts, so they are not counted in the rate."""
    if len(arrivals) < 2:
        return 0.0, 0.0
    first, last = arrivals[0], arrivals[-1]
    after_first = sum(1 for moment in arrivals if moment - first > SAME_ARRIVAL_S)
    rate = after_first / (last - first) if last - first > SAME_ARRIVAL_S else 0.0
    return first - started, rate


def _measured(data: str, backend: str, workers: int, results: list[CaseResult | Finished], warmup: float,
              rate: float, rss: float | None = None, cpu_rate: float | None = None,
              cpu_ms: tuple[float, float] | None = None) -> Measured:
    latencies = [r.ms for r in results]
    peak = rss if rss is not None else max((r.peak_rss_mb or 0.0) for r in results) if results else 0.0
    return Measured(data=data, backend=backend, workers=workers, docs=len(results), warmup_s=warmup, rate=rate,
                    p50_ms=percentile(latencies, 0.5), p95_ms=percentile(latencies, 0.95), peak_rss_mb=peak,
                    errors=sum(r.status != "ok" for r in results), cpu_rate=cpu_rate,
                    parent_cpu_ms=cpu_ms[0] if cpu_ms else None, worker_cpu_ms=cpu_ms[1] if cpu_ms else None)


def in_process(data: str, cases: list[Case], options: RunOptions) -> Measured:
    from cliniq_agent.batch.work import read_case, run_case
    from cliniq_agent.engine import Engine

    started = time.perf_counter()
    engine = Engine(options).warm()
    documents = [(case, *read_case(case.document)) for case in cases]
    cpu: list[float] = []  # process CPU time at each result

    def results() -> Iterator[CaseResult]:
        for case, raw, error in documents:
            result = run_case(engine, case_id=case.case_id, display=case.display, raw=raw, read_error=error)
            cpu.append(time.process_time())
            yield result

    collected, warmup, rate = _steady(results(), started)
    engine.close()
    cpu_rate = (len(cpu) - 1) / (cpu[-1] - cpu[0]) if len(cpu) > 1 and cpu[-1] > cpu[0] else None
    return _measured(data, "in-process, 1 thread", 1, collected, warmup, rate, peak_rss_mb(), cpu_rate)


class _CpuSink(ProgressSink):
    """Collects the finished cases and the CPU seconds of this process and of its descendants (workers, Ray's
    processes) at the first and the last result: the steady state's CPU split, without sampling per case."""

    def __init__(self) -> None:
        self.finished: list[Finished] = []
        self.arrivals: list[float] = []
        self.total = 0
        self.first: tuple[float, float] | None = None
        self.last: tuple[float, float] | None = None

    def start(self, *, total: int, skipped: int) -> None:
        self.total = total

    def advance(self, result: Finished) -> None:
        self.arrivals.append(time.perf_counter())
        self.finished.append(result)
        if len(self.finished) == 1:
            self.first = _cpu_split()
        elif len(self.finished) == self.total:
            self.last = _cpu_split()

    def per_document_ms(self) -> tuple[float, float] | None:
        """(parent, workers) CPU milliseconds per document finished after the first result (those that
        arrived with it were extracted before the first sample, as in the rate)."""
        if self.first is None or self.last is None or not self.arrivals:
            return None
        docs = sum(1 for moment in self.arrivals if moment - self.arrivals[0] > SAME_ARRIVAL_S)
        if not docs:
            return None
        return (1000 * (self.last[0] - self.first[0]) / docs, 1000 * (self.last[1] - self.first[1]) / docs)


def _cpu_split() -> tuple[float, float]:
    """(CPU seconds of this process, of every live process it started, recursively)."""
    import psutil  # the test extra; only this benchmark needs it

    me = psutil.Process()
    children = 0.0
    for child in me.children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:  # ended since it was listed
            continue
        children += times.user + times.system
    own = me.cpu_times()
    return own.user + own.system, children


def _batch(data: str, cases: list[Case], options: RunOptions, workers: int, engine: str, backend: str) -> Measured:
    """One real ``run_batch`` into a temporary folder; the rate and CPU split of its steady state."""
    from cliniq_agent.batch.runner import run_batch

    sink = _CpuSink()
    with tempfile.TemporaryDirectory(prefix="cliniq-throughput-batch-") as folder:
        started = time.perf_counter()
        run_batch(cases, Path(folder) / "out", options=options, output_format="compact", workers=workers,
                  engine=engine, progress=sink)  # type: ignore[arg-type]
    warmup, rate = _steady_rate(sink.arrivals, started)
    return _measured(data, backend, workers, sink.finished, warmup, rate, cpu_ms=sink.per_document_ms())


def local_pool(data: str, cases: list[Case], options: RunOptions, workers: int) -> Measured:
    return _batch(data, cases, options, workers, "local", f"batch --workers {workers}")


def ray_actors(data: str, cases: list[Case], options: RunOptions, actors: int) -> Measured:
    return _batch(data, cases, options, actors, "ray", f"Ray Data, {actors} actors")


def run_throughput(data: Path, *, limit: int | None, console: Console | None = None) -> list[Measured]:
    """Measure every back end on the phdi-dev eICRs and the known-format notes; print the tables."""
    console = console or Console()
    options = RunOptions(use_llm=False)  # trace persisted, as by default
    rows: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="cliniq-throughput-") as folder:
        sets: dict[str, list[Case]] = {
            "phdi-dev CDA": phdi_cases(data, rounds=8)[:limit] if limit else phdi_cases(data, rounds=8),
            "known-format notes": known_format_cases(data, Path(folder), limit or 400),
        }
        backends: list[tuple[str, Callable[[str, list[Case]], Measured]]] = [
            ("in-process", lambda name, cases: in_process(name, cases, options)),
            ("local 1", lambda name, cases: local_pool(name, cases, options, 1)),
            ("local 2", lambda name, cases: local_pool(name, cases, options, 2)),
            ("ray 2", lambda name, cases: ray_actors(name, cases, options, 2)),
        ]
        for name, cases in sets.items():
            for _, measure in backends:
                rows.append(measure(name, cases))
                console.print(f"measured {rows[-1].backend} on {name}: {rows[-1].rate:.1f} docs/s")
    print_throughput(rows, console)
    return rows


def print_throughput(rows: list[Measured], console: Console) -> None:
    table = Table(title="throughput (deterministic route, trace persisted; rates exclude warm-up)")
    for column in ("data", "back end", "docs", "warm-up s", "docs/s", "docs/CPU-s", "p50 ms", "p95 ms",
                   "peak RSS/worker MiB", "efficiency", "errors"):
        table.add_column(column)
    for row in rows:
        single = next((r for r in rows if r.data == row.data and r.backend == "batch --workers 1"), None)
        efficiency = (f"{row.rate / (row.workers * single.rate):.2f}" if single and single.rate and row.workers > 1
                      else "-")
        table.add_row(row.data, row.backend, str(row.docs), f"{row.warmup_s:.1f}", f"{row.rate:.1f}",
                      f"{row.cpu_rate:.1f}" if row.cpu_rate else "-", f"{row.p50_ms:.1f}", f"{row.p95_ms:.1f}",
                      f"{row.peak_rss_mb:.0f}", efficiency, str(row.errors))
    console.print(table)
    _print_cpu_split(rows, console)
    _print_projection(rows, console)


def _print_cpu_split(rows: list[Measured], console: Console) -> None:
    """Where the CPU of the batch back ends goes, per document: the parent process (which shares the cores with
    the workers) and its workers (for Ray: every process Ray started here, actors and Ray's own daemons)."""
    table = Table(title="CPU per document, batch back ends (steady state): the parent's share is taken from the workers")
    for column in ("data", "back end", "parent CPU ms/doc", "workers CPU ms/doc", "parent share"):
        table.add_column(column, justify="left" if column in ("data", "back end") else "right")
    for row in rows:
        if row.parent_cpu_ms is None or row.worker_cpu_ms is None:
            continue
        total = row.parent_cpu_ms + row.worker_cpu_ms
        table.add_row(row.data, row.backend, f"{row.parent_cpu_ms:.2f}", f"{row.worker_cpu_ms:.1f}",
                      f"{100 * row.parent_cpu_ms / total:.1f}%" if total > 0 else "-")
    console.print(table)


def _print_projection(rows: list[Measured], console: Console) -> None:
    table = Table(title="projected documents per day (measured per-core rate x cores x measured 2-worker efficiency)")
    table.add_column("data")
    for cores in PROJECTED_CORES:
        table.add_column(f"{cores} cores", justify="right")
    for data in dict.fromkeys(row.data for row in rows):
        single = next((r for r in rows if r.data == data and r.backend == "batch --workers 1"), None)
        double = next((r for r in rows if r.data == data and r.backend == "batch --workers 2"), None)
        if not single or not single.rate:
            continue
        efficiency = min(1.0, double.rate / (2 * single.rate)) if double and double.rate else 1.0
        cells = [f"{single.rate * 86400 * (1 if cores == 1 else cores * efficiency):,.0f}" for cores in PROJECTED_CORES]
        table.add_row(data, *cells)
    console.print(table)
    console.print("1 and 2 cores are measured rates; more cores are projections that assume the 2-worker efficiency "
                  "holds and that inputs and outputs keep up.")
