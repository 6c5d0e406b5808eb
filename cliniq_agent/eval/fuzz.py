"""Fuzz campaign: every input class of ``fuzz_mutators`` against the Engine, with a verdict per input.

    cliniq-agent bench -s fuzz                       # >= 10,000 inputs (CLINIQ_FUZZ_PER_CLASS, default 1,000 per class)
    python -m cliniq_agent.eval.fuzz --jobs 2       # the same campaign, classes in two processes
    python -m cliniq_agent.eval.fuzz --per-class 50 # a quick look

Each input ends as exactly one of: ``ok`` (a result, whose compact JSON and FHIR Bundle serialise),
``rejected`` (an ``InputError``: the documented exit-2 refusal), ``slow`` (over the per-document time budget:
``BudgetExceeded`` or a wall time above it) or ``crash`` (any other exception: a bug). A result that contains
the canary token written into a local file (XXE / XInclude payloads point at it) also counts as a crash.
Peak memory is the process RSS (psutil), sampled while the class runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from cliniq_agent.eval.fuzz_mutators import CANARY_TOKEN, CLASSES, Input, Mutator, long_inputs, xml_attacks
from cliniq_agent.eval.fuzz_seeds import Corpus, build_corpus
from cliniq_agent.core.errors import BudgetExceeded, InputError

VERDICTS = ("ok", "rejected", "crash", "slow")


@dataclass
class ClassStats:
    name: str
    counts: Counter = field(default_factory=Counter)
    peak_rss_mb: float = 0.0
    max_seconds: float = 0.0
    crashes: list[str] = field(default_factory=list)  # distinct signatures

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def classify(engine, source: Input, *, fhir: bool, budget_s: float, recover: bool = False) -> tuple[str, str | None]:
    """(verdict, crash signature or None) for one input."""
    started = time.perf_counter()
    try:
        result = engine.extract(source, build_fhir=fhir, time_budget_s=budget_s, recover_xml=recover)
        text = json.dumps(result.to_compact(), ensure_ascii=False)
        if fhir:
            text += json.dumps(result.to_fhir(), ensure_ascii=False)
    except BudgetExceeded:
        return "slow", None
    except InputError:
        return ("slow" if time.perf_counter() - started > budget_s else "rejected"), None
    except Exception as err:  # noqa: BLE001 - the point is to catch every bug
        frame = traceback.extract_tb(err.__traceback__)[-1]
        return "crash", f"{type(err).__name__} at {Path(frame.filename).name}:{frame.lineno} ({frame.name})"
    if CANARY_TOKEN in text:
        return "crash", "canary file content leaked into the output"
    if time.perf_counter() - started > budget_s:
        return "slow", None
    return "ok", None


@contextmanager
def rss_sampler(interval: float = 0.02) -> Iterator[list[float]]:
    """Yield a one-item list holding the peak RSS in MiB seen while the body runs."""
    import psutil

    process, peak, done = psutil.Process(), [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss / 2**20)
            done.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()
        peak[0] = max(peak[0], process.memory_info().rss / 2**20)


@contextmanager
def canary_file() -> Iterator[Path]:
    """A local file holding the canary token, for the XXE / XInclude payloads to point at."""
    with tempfile.TemporaryDirectory(prefix="cliniq-fuzz-") as folder:
        path = Path(folder) / "canary.txt"
        path.write_text(CANARY_TOKEN + "\n", encoding="utf-8")
        yield path


def mutators(canary: Path, *, max_long_bytes: int) -> dict[str, Mutator]:
    chosen = dict(CLASSES)
    chosen["xml_attacks"] = partial(xml_attacks, canary=str(canary))
    chosen["long_inputs"] = partial(long_inputs, max_bytes=max_long_bytes)
    return chosen


LONG_PER_CLASS = 100  # long inputs cost seconds each; the other classes make up the 10,000


def run_campaign(per_class: int, *, seed: int = 15, budget_s: float = 30.0, fhir_every: int = 3,
                 max_long_bytes: int = 40_000, long_per_class: int = LONG_PER_CLASS, corpus: Corpus | None = None,
                 classes: list[str] | None = None, jobs: int = 1, progress: bool = False) -> list[ClassStats]:
    """Run ``per_class`` inputs of every class (``long_per_class`` long inputs), deterministic for a seed;
    FHIR is built for every ``fhir_every``-th input; every second input is read with ``--recover``.
    ``jobs`` > 1 runs classes in that many processes (peak RSS is then per process)."""
    names = [name for name in CLASSES if not classes or name in classes]
    kwargs = dict(per_class=per_class, seed=seed, budget_s=budget_s, fhir_every=fhir_every,
                  max_long_bytes=max_long_bytes, long_per_class=long_per_class, corpus=corpus, progress=progress)
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            groups = [names[start::jobs] for start in range(jobs)]  # one engine (one warm-up) per process
            batches = pool.map(partial(_run_classes, **kwargs), groups)
            found = {stats.name: stats for batch in batches for stats in batch}
            return [found[name] for name in names]
    return _run_classes(names, **kwargs)


def _run_classes(names: list[str], *, per_class: int, seed: int, budget_s: float, fhir_every: int,
                 max_long_bytes: int, long_per_class: int, corpus: Corpus | None, progress: bool) -> list[ClassStats]:
    from cliniq_agent.engine import Engine
    from cliniq_agent.core.state import RunOptions

    corpus = corpus or build_corpus(seed)
    results: list[ClassStats] = []
    with canary_file() as canary, Engine(RunOptions(use_llm=False, persist_trace=False)) as engine:
        engine.warm()  # the code index is built once per cache, outside any input's time
        for name, mutate in mutators(canary, max_long_bytes=max_long_bytes).items():
            if name not in names:
                continue
            stats = ClassStats(name)
            rng = random.Random(f"{seed}:{name}")
            count = min(long_per_class, per_class) if name == "long_inputs" else per_class
            with rss_sampler() as peak:
                for index in range(count):
                    source = mutate(rng, corpus)
                    started = time.perf_counter()
                    verdict, signature = classify(engine, source, fhir=index % fhir_every == 0, budget_s=budget_s,
                                                  recover=index % 2 == 1)
                    stats.max_seconds = max(stats.max_seconds, time.perf_counter() - started)
                    stats.counts[verdict] += 1
                    if signature and signature not in stats.crashes:
                        stats.crashes.append(signature)
            stats.peak_rss_mb = peak[0]
            if progress:
                print(_row(stats), flush=True)
            results.append(stats)
    return results


def _row(stats: ClassStats) -> str:
    counts = " ".join(f"{v}={stats.counts[v]}" for v in VERDICTS)
    return f"{stats.name:<14} n={stats.total} {counts} max={stats.max_seconds:.2f}s peak_rss={stats.peak_rss_mb:.0f}MiB"


def print_table(results: list[ClassStats], console=None, *, budget_s: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"fuzz campaign (time budget {budget_s:g} s per input)")
    for column in ("class", "inputs", *VERDICTS, "max s", "peak RSS MiB"):
        table.add_column(column, justify="left" if column == "class" else "right")
    totals: Counter = Counter()
    for stats in results:
        totals.update(stats.counts)
        table.add_row(stats.name, str(stats.total), *(str(stats.counts[v]) for v in VERDICTS),
                      f"{stats.max_seconds:.2f}", f"{stats.peak_rss_mb:.0f}")
    table.add_row("total", str(sum(totals.values())), *(str(totals[v]) for v in VERDICTS),
                  f"{max((s.max_seconds for s in results), default=0):.2f}",
                  f"{max((s.peak_rss_mb for s in results), default=0):.0f}")
    console.print(table)
    for stats in results:
        for signature in stats.crashes:
            console.print(f"[red]crash[/red] {stats.name}: {signature}")


def per_class_default() -> int:
    return int(os.environ.get("CLINIQ_FUZZ_PER_CLASS", "1000"))


def main() -> None:
    parser = argparse.ArgumentParser(description="Fuzz campaign over the deterministic engine (issue 15).")
    parser.add_argument("--per-class", type=int, default=per_class_default())
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--budget", type=float, default=30.0, help="per-input time budget in seconds")
    parser.add_argument("--max-long-bytes", type=int, default=40_000)
    parser.add_argument("--long-per-class", type=int, default=LONG_PER_CLASS)
    parser.add_argument("--class", dest="classes", action="append", choices=sorted(CLASSES))
    parser.add_argument("--jobs", type=int, default=1, help="processes (classes run in parallel)")
    args = parser.parse_args()
    started = time.perf_counter()
    results = run_campaign(args.per_class, seed=args.seed, budget_s=args.budget, max_long_bytes=args.max_long_bytes,
                           long_per_class=args.long_per_class, classes=args.classes, jobs=args.jobs, progress=True)
    print_table(results, budget_s=args.budget)
    print(f"{sum(r.total for r in results)} inputs in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
