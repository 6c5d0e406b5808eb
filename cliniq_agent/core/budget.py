"""Per-document time budget: a run that overruns ends cleanly with one clear error, never a hang.

The Engine opens a budget around each run (``RunOptions.time_budget_s``); long loops and every graph node
call ``check_budget()``, which raises ``BudgetExceeded`` once the deadline has passed. The deadline lives in
a context variable, so concurrent runs in threads each keep their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from cliniq_agent.core.errors import BudgetExceeded

_DEADLINE: ContextVar[tuple[float, float] | None] = ContextVar("cliniq_agent_deadline", default=None)


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Run the body under a deadline of ``seconds`` from now (None or <= 0: no budget)."""
    if not seconds or seconds <= 0:
        yield
        return
    token = _DEADLINE.set((time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_budget(stage: str = "") -> None:
    """Raise BudgetExceeded when the current run is past its deadline (cheap: one clock read)."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline[0]:
        where = f" during {stage}" if stage else ""
        raise BudgetExceeded(f"processing stopped after the {deadline[1]:g} s time budget{where}; "
                             "split the document or raise the budget (--time-budget)")


def remaining() -> float | None:
    """Seconds left in the current budget (None when no budget is set)."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline[0] - time.monotonic()


def wait_for(acquire: Callable[[float], bool], stage: str, *, poll_s: float = 0.2) -> None:
    """Wait until ``acquire(timeout)`` returns True (a lock another run or process holds), checking the
    budget between tries: waiting counts against the run's budget like work does (no budget: wait as long
    as it takes)."""
    while not acquire(poll_s):
        check_budget(stage)
