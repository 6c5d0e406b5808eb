"""Prometheus metrics: documents by route and status, latency per route, model calls, queue depth.

With several worker processes each keeps its own counters; ``serve`` then points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder so that ``/metrics`` on any worker reports the sum over all
of them (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from cliniq_agent.core.extraction import Extraction

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class ServiceMetrics:
    """The service's metric families, in their own registry (several apps may live in one process)."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        live = {"multiprocess_mode": "livesum"}
        self.documents = Counter("cliniq_documents", "Documents processed, by route and outcome status.",
                                 ["route", "status"], registry=self.registry)
        self.latency = Histogram("cliniq_document_seconds", "Time to process one document, by route.",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.model_calls = Counter("cliniq_model_calls", "Language-model calls made by runs, by caller.",
                                   ["kind"], registry=self.registry)
        self.requests = Counter("cliniq_http_requests", "HTTP requests, by endpoint and status code.",
                                ["endpoint", "code"], registry=self.registry)
        self.queue_depth = Gauge("cliniq_queue_depth", "Requests waiting for a processing slot.",
                                 registry=self.registry, **live)
        self.in_flight = Gauge("cliniq_in_flight", "Documents being processed now.", registry=self.registry, **live)
        self.ready = Gauge("cliniq_ready", "1 when the engine is warm and requests are accepted.",
                           registry=self.registry, **live)

    def observe_document(self, route: str, status: str, seconds: float, extraction: Extraction | None) -> None:
        self.documents.labels(route=route, status=status).inc()
        self.latency.labels(route=route).observe(seconds)
        if extraction is not None:
            for kind, calls in model_calls(extraction).items():
                if calls:
                    self.model_calls.labels(kind=kind).inc(calls)

    def set_queue(self, waiting: int, running: int) -> None:
        self.queue_depth.set(waiting)
        self.in_flight.set(running)

    def exposition(self) -> bytes:
        if multiprocess_dir():
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


def model_calls(extraction: Extraction) -> dict[str, int]:
    """Model calls of one run, from its typed records: agent turns, fast-path answers and retries."""
    return {"agent": sum(len(report.turns) for report in extraction.agent_reports),
            "fast_path": sum(run.calls for run in extraction.model_runs)}
