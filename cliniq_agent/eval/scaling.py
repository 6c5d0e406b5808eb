"""Bench suite ``text-scaling``: milliseconds per input size on the text route, per note shape, with the
fitted slope (ms per KB) and the exponent of a log-log fit (1.0 = linear, 2.0 = quadratic). Two tables:
wall-clock time, and the process's CPU time (on a shared, loaded machine the CPU table is the steadier one:
waiting for a core is not the engine's work).

Why: long notes used to hang a worker (quadratic span bookkeeping); this table shows that time grows
linearly up to the stated text cap (``text_tiers.MAX_TEXT_CHARS``). Notes come from
``bench.longtext`` (seeded, so every run measures the same text); the deterministic tiers run (no LLM).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cliniq_agent.eval.longtext import SHAPES
from cliniq_agent.core.errors import InputError
from cliniq_agent.text.tiers import MAX_TEXT_CHARS

KB = 1000
DEFAULT_SIZES_KB = (10, 100, 1000, 5000)
_SEED = 15
_BUDGET_S = 600.0   # generous: the table measures time, the budget only guards against a hang
# the generators stop at the first piece past the size asked for, so a note of exactly the text route's limit
# (MAX_TEXT_CHARS, 5 MB) came out a few characters over it and was refused: the largest note asked for stays one
# piece under the limit, and the 5 MB point is measured
_LARGEST = MAX_TEXT_CHARS - 1000


def fit(sizes_kb: list[float], times_ms: list[float]) -> tuple[float, float]:
    """(slope in ms per KB from a least-squares line, exponent from a least-squares fit of log t on log n)."""
    pairs = [(s, t) for s, t in zip(sizes_kb, times_ms) if s > 0 and t > 0]
    if len(pairs) < 2:
        return math.nan, math.nan
    return _least_squares(pairs)[0], _least_squares([(math.log(s), math.log(t)) for s, t in pairs])[0]


def _least_squares(points: list[tuple[float, float]]) -> tuple[float, float]:
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else math.nan
    return slope, mean_y - slope * mean_x


def measure(sizes_kb: tuple[int, ...] = DEFAULT_SIZES_KB, shapes: list[str] | None = None,
            console: Console | None = None,
            cpu: dict[str, dict[int, float | str]] | None = None) -> dict[str, dict[int, float | str]]:
    """Per shape, per size: wall milliseconds for one extraction, or the refusal message above the text cap;
    ``cpu``, when given, receives the same table in CPU milliseconds of this process."""
    from cliniq_agent.engine import Engine
    from cliniq_agent.core.state import RunOptions

    rows: dict[str, dict[int, float | str]] = {}
    with Engine(RunOptions(use_llm=False, persist_trace=False, time_budget_s=_BUDGET_S)) as engine:
        engine.warm()
        engine.extract(SHAPES["prose"](KB, _SEED))          # first-run loading stays out of the table
        for shape in shapes or list(SHAPES):
            rows[shape] = {}
            cpu_row = cpu.setdefault(shape, {}) if cpu is not None else {}
            for size in sizes_kb:
                text = SHAPES[shape](min(size * KB, _LARGEST), _SEED)
                started, started_cpu = time.perf_counter(), time.process_time()
                try:
                    engine.extract(text)
                    rows[shape][size] = (time.perf_counter() - started) * 1000
                    cpu_row[size] = (time.process_time() - started_cpu) * 1000
                except InputError as err:
                    rows[shape][size] = cpu_row[size] = f"refused: {err}"
                if console is not None:
                    console.print(f"[dim]{shape} {size} KB: {_cell(rows[shape][size])} ms "
                                  f"({_cell(cpu_row[size])} ms CPU)[/dim]")
    return rows


def print_table(rows: dict[str, dict[int, float | str]], sizes_kb: tuple[int, ...], console: Console, *,
                title: str = "text-scaling: ms per note size (deterministic tiers)") -> None:
    table = Table(title=title)
    table.add_column("shape")
    for size in sizes_kb:
        table.add_column(f"{size:,} KB", justify="right")
    for column in ("ms/KB (slope)", "log-log exponent"):
        table.add_column(column, justify="right")
    for shape, by_size in rows.items():
        timed = [(size, ms) for size, ms in by_size.items() if isinstance(ms, float)]
        slope, exponent = fit([s for s, _ in timed], [ms for _, ms in timed])
        table.add_row(shape, *(_cell(by_size.get(size, "-")) for size in sizes_kb), f"{slope:.2f}", f"{exponent:.2f}")
    console.print(table)
    refusals = {ms for by_size in rows.values() for ms in by_size.values() if isinstance(ms, str)}
    for message in sorted(refusals):
        console.print(f"[yellow]{message}[/yellow]")


def _cell(value: float | str) -> str:
    return f"{value:,.0f}" if isinstance(value, float) else ("refused" if str(value).startswith("refused") else str(value))


def run_scaling_suite(data: Path | None = None, *, limit: int | None = None,
                      console: Console | None = None) -> dict[str, dict[int, float | str]]:
    """``bench -s text-scaling``: prints the table; ``limit`` caps the largest size in KB; ``data`` is not
    used (the notes are generated, the tiers deterministic)."""
    console = console or Console()
    sizes = tuple(size for size in DEFAULT_SIZES_KB if limit is None or size <= limit) or (DEFAULT_SIZES_KB[0],)
    cpu: dict[str, dict[int, float | str]] = {}
    rows = measure(sizes, console=console, cpu=cpu)
    print_table(rows, sizes, console)
    print_table(cpu, sizes, console, title="text-scaling: CPU ms of this process per note size")
    return rows
