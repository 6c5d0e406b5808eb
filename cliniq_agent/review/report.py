"""The batch dashboard: what a batch's ``manifest.jsonl`` says, drawn as one offline HTML page, plus a
review page per successful input rendered from the trace store (``BATCH/review/<case>.html``)."""

from __future__ import annotations

import os
import statistics
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from cliniq_agent.batch.inputs import Member
from cliniq_agent.batch.outputs import ManifestRow, atomic_write, case_path, read_manifest
from cliniq_agent.core.errors import CliniqError
from cliniq_agent.review.charts import BarChart, Histogram, bar_chart, histogram, latency_bin
from cliniq_agent.review.render import render_review, render_template
from cliniq_agent.trace.store import RunTrace, TraceStore

SLOWEST = 10


@dataclass
class InputView:
    row: ManifestRow
    review_href: str | None = None
    output_hrefs: list[tuple[str, str]] = field(default_factory=list)  # (name, relative link)
    reportable_names: list[str] = field(default_factory=list)


@dataclass
class BatchReport:
    folder: Path
    inputs: list[InputView]
    by_status: dict[str, int]
    by_route: dict[str, int]
    route_status: list[tuple[str, dict[str, int]]]
    conditions: BarChart
    latency: list[tuple[str, Histogram]]
    slowest: list[InputView]
    failed: list[InputView]
    p50_ms: float
    p95_ms: float
    total_s: float
    pages: int
    missing_traces: int
    unread_rrs: list[str] = field(default_factory=list)  # RRs named in the manifest that could not be read here


def review_path(folder: Path, case_id: str) -> Path:
    """BATCH/review/<case>.html, with the same path sanitising as the result files."""
    result = case_path(folder, case_id, ".html")
    return folder / "review" / result.relative_to(folder / "results")


def build_report(folder: Path, out: Path, *, store: TraceStore | None = None, pages: bool = True) -> BatchReport:
    """Read the manifest, write review pages for ok rows found in the trace store, and gather the charts."""
    rows = read_manifest(folder)
    store = store or TraceStore()
    inputs, names, written, missing = [], {}, 0, 0
    responses = _Responses(store)
    for row in rows:
        view = InputView(row=row, output_hrefs=[(name, _href(folder / name, out.parent)) for name in row.outputs])
        trace = store.get(row.run_id) if row.status == "ok" and row.run_id else None
        if row.status == "ok" and trace is None:
            missing += 1
        if trace is not None:
            for item in (trace.record or {}).get("reportable") or []:
                names.setdefault(str(item.get("snomed")), str(item.get("name")))
            if pages:
                page = review_path(folder, row.case_id)
                atomic_write(page, render_review(trace, responses.run(row.rr) if row.rr else None))
                view.review_href, written = _href(page, out.parent), written + 1
        inputs.append(view)
    for view in inputs:
        view.reportable_names = [names.get(code, code) for code in view.row.reportable]
    latencies = [view.row.ms for view in inputs if view.row.status == "ok"]
    by_route: dict[str, list[float]] = defaultdict(list)
    for view in inputs:
        if view.row.status == "ok":
            by_route[view.row.route or "?"].append(view.row.ms)
    route_status: dict[str, Counter[str]] = defaultdict(Counter)
    for view in inputs:
        route_status[view.row.route or "(none)"][view.row.status] += 1
    conditions = Counter(code for view in inputs for code in view.row.reportable)
    responses.close()
    return BatchReport(
        folder=folder, inputs=inputs,
        by_status=dict(Counter(view.row.status for view in inputs).most_common()),
        by_route=dict(Counter(view.row.route or "(none)" for view in inputs).most_common()),
        route_status=sorted((route, dict(counts)) for route, counts in route_status.items()),
        conditions=bar_chart([(f"{names.get(code, code)} ({code})", n) for code, n in conditions.most_common()]),
        latency=[(route, histogram(values, _bins(latencies))) for route, values in sorted(by_route.items())],
        slowest=sorted(inputs, key=lambda view: view.row.ms, reverse=True)[:SLOWEST],
        failed=[view for view in inputs if view.row.status != "ok"],
        p50_ms=_quantile(latencies, 0.5), p95_ms=_quantile(latencies, 0.95),
        total_s=sum(view.row.ms for view in inputs) / 1000, pages=written, missing_traces=missing,
        unread_rrs=responses.unread,
    )


class _Responses:
    """The RRs a batch paired with its eICRs, each extracted once as its own (deterministic, traced) run so
    that the eICR's page can show the RR's determination; the batch itself records only the RR's name."""

    def __init__(self, store: TraceStore) -> None:
        self.store, self.engine, self.unread = store, None, []

    def run(self, display: str) -> RunTrace | None:
        path, bang, member = display.partition("!")
        source = Member(path=path, member=member) if bang and zipfile.is_zipfile(path) else Member(path=display)
        try:
            if self.engine is None:
                from cliniq_agent.engine import Engine

                self.engine = Engine(use_llm=False, trace_store=self.store)
            return self.store.get(self.engine.extract(source.read(), source_name=display).run_id)
        except (CliniqError, OSError) as err:
            self.unread.append(f"{display}: {err}")
            return None

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()


def write_report(folder: Path, out: Path | None = None, *, store: TraceStore | None = None,
                 pages: bool = True) -> tuple[Path, BatchReport]:
    out = out or folder / "report.html"
    report = build_report(folder, out, store=store, pages=pages)
    atomic_write(out, render_template("report.html", report=report, statuses=("ok", "rejected", "error")))
    return out, report


def _bins(latencies: list[float]) -> range:
    """One bin range for every route: from the fastest input's bin to the slowest's (at least four bins)."""
    first, last = (latency_bin(min(latencies)), latency_bin(max(latencies))) if latencies else (0, 0)
    return range(first, max(last, first + 3) + 1)


def _href(target: Path, base: Path) -> str:
    return quote(Path(os.path.relpath(target, base)).as_posix())


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]
