"""Local back end: N worker processes, each with one warm Engine, working through its own short queue.

Each worker writes its documents' result files itself and sends back only the manifest line
(``outputs.Finished``): with as many workers as cores the parent shares a core with a worker, so every
millisecond it spends per document (receiving a large result, writing it, validating rows) is taken from
a worker. The parent appends the lines it receives in one write per wake-up.

Why processes and not threads: the text tiers, parsing and FHIR building are Python, so only processes
use more than one core. Why a queue of ``PREFETCH`` documents per worker: with one document at a time the
worker sat idle for every round trip (its result pickled, the parent woken, the next case sent and the
worker woken again) — on a busy machine that cost as much as extracting an eICR, and ``--workers 1`` ran
slower than the same Engine in-process. A worker handles its queue in order and answers in order, so the
parent still knows which document it is working on: when a worker dies (``kill -9``, the OOM killer, a
crash in native code) exactly that document is retried once on a fresh worker and then recorded as an
error; the documents queued behind it had not started and go back to the queue as they were — nothing
else is lost. A worker that overruns the per-document limit is killed the same way (the Engine's own time
budget normally ends the run first; the kill is the backstop for native code that never returns).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from collections import deque
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection, wait

from cliniq_agent.batch.inputs import Case
from cliniq_agent.batch.outputs import Finished, ResultFolder
from cliniq_agent.batch.work import CaseResult, read_case, read_paired_rr, run_case
from cliniq_agent.core.errors import CliniqError
from cliniq_agent.core.resources import share_cores
from cliniq_agent.core.state import RunOptions

PREFETCH = 2  # documents handed to a worker ahead of its results: the one it works on and the next
MAX_ATTEMPTS = 2  # a document whose worker died is tried once more, then recorded as an error
KILL_GRACE_S = 30.0  # on top of the Engine's time budget before a stuck worker is killed
MAX_STARTUP_FAILURES = 3


def _worker_main(conn: Connection, options_json: str, want_fhir: bool | str, folder: ResultFolder,
                 workers: int) -> None:
    """Worker process: warm an Engine, then extract the cases the parent sends until it sends None; write each
    case's result files and send back its manifest line."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    share_cores(workers)
    from cliniq_agent.engine import Engine

    with Engine(RunOptions.model_validate_json(options_json)) as engine:
        engine.warm()
        conn.send(("ready", os.getpid()))
        while True:
            tasks: list[tuple[Case, int]] | None = conn.recv()
            if tasks is None:
                return
            for case, attempt in tasks:
                raw, read_error = read_case(case.document)
                result = run_case(engine, case_id=case.case_id, display=case.display, raw=raw,
                                  read_error=read_error, rr=case.rr_display, want_fhir=want_fhir,
                                  rr_raw=read_paired_rr(case))
                result.attempts = attempt
                conn.send(("result", folder.finish(result)))


class _Worker:
    def __init__(self, context: mp.context.BaseContext, options_json: str, want_fhir: bool | str,
                 folder: ResultFolder, workers: int) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, options_json, want_fhir, folder, workers),
                                       daemon=True, name="cliniq-batch-worker")
        self.process.start()
        child.close()
        self.ready = False
        self.tasks: deque[tuple[Case, int]] = deque()  # sent, no result yet; the first is the one in work
        self.started = 0.0  # when the first of ``tasks`` started

    def give(self, tasks: list[tuple[Case, int]]) -> None:
        """Queue ``tasks`` on this worker, in one message."""
        if not self.tasks:
            self.started = time.monotonic()
        self.tasks.extend(tasks)
        self.conn.send(tasks)

    def done(self) -> None:
        """The first task's result arrived: forget it and start the next one's clock."""
        self.tasks.popleft()
        self.started = time.monotonic()

    def stop(self, *, kill: bool = False) -> None:
        if self.process.is_alive():
            if kill:
                self.process.kill()
            else:
                try:
                    self.conn.send(None)
                except OSError:
                    pass
        self.process.join(timeout=None if kill else 10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class LocalPool:
    """Run cases on ``workers`` processes that write into ``folder``; ``run`` yields the finished cases in
    completion order, as lists (all that arrived at one wake-up of the parent)."""

    def __init__(self, workers: int, options: RunOptions, folder: ResultFolder, *, want_fhir: bool | str = False,
                 kill_after_s: float | None = None) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.options_json = options.model_dump_json()
        self.folder = folder
        self.want_fhir = want_fhir
        budget = options.time_budget_s
        self.kill_after_s = kill_after_s or ((budget + KILL_GRACE_S) if budget else None)
        self.context = mp.get_context("spawn")  # a clean interpreter per worker: no inherited locks or threads

    def run(self, cases: Iterable[Case]) -> Iterator[list[Finished]]:
        queue: deque[tuple[Case, int]] = deque((case, 1) for case in cases)
        if not queue:
            return
        pool = [self._spawn() for _ in range(min(self.workers, len(queue)))]
        startup_failures = 0
        try:
            while queue or any(worker.tasks for worker in pool):
                for worker in pool:
                    room = self._room(worker, left=len(queue), workers=len(pool))
                    if room:
                        worker.give([queue.popleft() for _ in range(room)])
                ready = wait([w.conn for w in pool] + [w.process.sentinel for w in pool], timeout=1.0)
                finished: list[Finished] = []
                for worker in list(pool):
                    if worker.conn in ready:
                        finished += self._drain(worker)
                    if not worker.process.is_alive() or self._overran(worker):
                        timed_out = worker.process.is_alive()
                        if timed_out:
                            worker.process.kill()
                        worker.process.join()
                        finished += self._drain(worker)  # a result sent just before it died still counts
                        if not worker.ready:
                            startup_failures += 1
                            if startup_failures >= MAX_STARTUP_FAILURES:
                                raise CliniqError(f"batch workers fail to start (exit code {worker.process.exitcode}); "
                                                  "run one input with 'cliniq-agent run' to see why")
                        failed = self._lost(worker, timed_out=timed_out, queue=queue)
                        if failed is not None:
                            finished.append(self.folder.finish(failed))
                        pool.remove(worker)
                        worker.stop(kill=True)
                        if queue or len(pool) == 0:
                            pool.append(self._spawn())
                if finished:
                    yield finished
        finally:
            for worker in pool:
                killed = not worker.ready or bool(worker.tasks)
                worker.stop(kill=killed)
                if worker.tasks:
                    self.folder.remove_partial(worker.tasks[0][0].case_id)

    @staticmethod
    def _room(worker: _Worker, *, left: int, workers: int) -> int:
        """How many documents to hand ``worker`` now. Near the end (no more left than workers) the last ones go
        one at a time to idle workers only: a document queued behind a busy worker's would keep it busy while
        another worker sits idle — up to a document's time at the end of every batch."""
        if not worker.ready or not left:
            return 0
        if left <= workers:
            return 0 if worker.tasks else 1
        return min(PREFETCH - len(worker.tasks), left)

    def _spawn(self) -> _Worker:
        return _Worker(self.context, self.options_json, self.want_fhir, self.folder, self.workers)

    @staticmethod
    def _drain(worker: _Worker) -> list[Finished]:
        """Every message the worker has sent; stops at end-of-pipe (a dead worker is handled by the caller)."""
        finished = []
        while True:
            try:
                if not worker.conn.poll():
                    return finished
                kind, payload = worker.conn.recv()
            except (EOFError, OSError):
                return finished
            if kind == "ready":
                worker.ready = True
            elif worker.tasks:
                worker.done()
                finished.append(payload)

    def _overran(self, worker: _Worker) -> bool:
        return (self.kill_after_s is not None and bool(worker.tasks)
                and time.monotonic() - worker.started > self.kill_after_s)

    def _lost(self, worker: _Worker, *, timed_out: bool, queue: deque[tuple[Case, int]]) -> CaseResult | None:
        """The case a dead worker was on: queued again once, then an error row. The cases queued behind it had
        not started: they go back to the front of the queue unchanged. A result file it was writing when it
        died is a temporary file: removed here."""
        if not worker.tasks:
            return None
        case, attempt = worker.tasks.popleft()
        self.folder.remove_partial(case.case_id)
        queue.extendleft(reversed(worker.tasks))
        worker.tasks.clear()
        if timed_out:
            reason = "the document overran the time limit and its worker was stopped"
        else:
            code = worker.process.exitcode
            how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            reason = f"the worker process died ({how}) while extracting this document"
        if not timed_out and attempt < MAX_ATTEMPTS:
            queue.appendleft((case, attempt + 1))
            return None
        return CaseResult(case_id=case.case_id, input=case.display, rr=case.rr_display,
                          status="error", error=f"{reason} (attempt {attempt})", attempts=attempt)
