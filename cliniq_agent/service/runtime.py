"""One worker process's serving state: the warm Engine, the admission gate, metrics and the run log.

With one process the Engine warms in a background thread, so ``/healthz`` answers from the first second
and ``/readyz`` turns ready once models and the code index are loaded (documents arriving before that
get 503 + Retry-After). With several worker processes each one warms *before* it starts accepting
connections, so the kernel never hands a request to a cold worker while a warm one could take it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from cliniq_agent import __version__
from cliniq_agent.engine import Engine
from cliniq_agent.core.errors import BudgetExceeded, CliniqError, UsageError
from cliniq_agent.core.extraction import Extraction
from cliniq_agent.service.errors import NotReady, RequestTimeout
from cliniq_agent.service.limits import AdmissionGate, Deadline, Slot
from cliniq_agent.service.logs import service_logger
from cliniq_agent.service.metrics import ServiceMetrics
from cliniq_agent.service.settings import ServiceSettings
from cliniq_agent.core.state import RunOptions


@dataclass(frozen=True)
class DocumentRequest:
    """One document to extract, with this request's choices (already validated)."""

    body: bytes
    source_name: str
    use_llm: bool
    build_fhir: bool
    timeout_s: float
    rr: bytes | None = None  # the eICR's Reportability Response: adds rr_check (cliniq_agent/rrcheck)


class ServiceRuntime:
    """Created in the app's lifespan; closed on shutdown (releases the models)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.token = settings.read_token()
        self.metrics = ServiceMetrics()
        self.log = service_logger()
        self.gate = AdmissionGate(settings.max_concurrency, settings.queue_size, settings.retry_after_s,
                                  on_change=self.metrics.set_queue)
        self.engine: Engine | None = None
        self.warm_error: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start_warming(self) -> None:
        threading.Thread(target=self.warm, name="cliniq-warm", daemon=True).start()

    def warm(self) -> None:
        """Load everything (blocking); a failure is kept for /readyz instead of ending the process."""
        clock = time.perf_counter()
        try:
            options = RunOptions(use_llm=self.settings.use_llm, persist_trace=self.settings.persist_trace,
                                 time_budget_s=self.settings.request_timeout_s)
            self.engine = Engine(options).warm()
        except Exception as err:  # the process stays up and says why it is not ready
            self.warm_error = f"{type(err).__name__}: {err}"
            self.log.error("engine warm-up failed", extra={"error_type": type(err).__name__})
            return
        self.metrics.ready.set(1)
        self.log.info("engine ready", extra={"warm_s": round(time.perf_counter() - clock, 2),
                                             "llm": self.settings.use_llm, "version": __version__})

    def close(self) -> None:
        self.metrics.ready.set(0)
        self.gate.shutdown()
        if self.engine is not None:
            self.engine.close()

    @property
    def readiness(self) -> str:
        return "ready" if self.engine is not None else "failed" if self.warm_error else "warming"

    def require_engine(self) -> Engine:
        if self.engine is None:
            message = ("the engine failed to load; see the server log" if self.warm_error
                       else "the engine is still loading models and the code index")
            raise NotReady(message, headers={"Retry-After": str(self.settings.retry_after_s)})
        return self.engine

    # -- documents ---------------------------------------------------------------------------------------

    def check_options(self, use_llm: bool) -> None:
        if use_llm and not self.settings.use_llm:
            raise UsageError("llm=true: this server was started with --no-llm (deterministic route only)")

    async def extract(self, request: DocumentRequest) -> Extraction:
        """Admit, run, record: raises the engine's errors or the service's (timeout, overload)."""
        self.require_engine()
        deadline = Deadline(request.timeout_s)
        async with self.gate.slot(deadline) as slot:
            return await self.run_in_slot(slot, request, deadline)

    async def run_in_slot(self, slot: Slot, request: DocumentRequest, deadline: Deadline) -> Extraction:
        engine = self.require_engine()
        clock = time.perf_counter()

        def work() -> Extraction:
            return engine.extract(request.body, source_name=request.source_name, use_llm=request.use_llm,
                                  build_fhir=request.build_fhir, rr=request.rr,
                                  time_budget_s=max(deadline.remaining(), 0.001))

        try:
            extraction = await slot.run(work, deadline)
        except (BudgetExceeded, RequestTimeout) as err:
            self._record(request, "timeout", clock, None, err)
            raise
        except CliniqError as err:
            self._record(request, "rejected", clock, None, err)
            raise
        except Exception as err:
            self._record(request, "error", clock, None, err)
            raise
        self._record(request, "ok", clock, extraction, None)
        return extraction

    def _record(self, request: DocumentRequest, status: str, clock: float, extraction: Extraction | None,
                error: BaseException | None) -> None:
        seconds = time.perf_counter() - clock
        route = extraction.route if extraction is not None else "none"
        self.metrics.observe_document(route, status, seconds, extraction)
        fields: dict[str, Any] = {"status": status, "route": route, "bytes_in": len(request.body),
                                  "duration_ms": round(seconds * 1000, 1), "llm": request.use_llm}
        if extraction is not None:
            fields["run_id"] = extraction.run_id
        if error is not None:
            fields["error_type"] = type(error).__name__
        self.log.info("document", extra=fields)
