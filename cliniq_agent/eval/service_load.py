"""Bounded load test of `cliniq-agent serve` on localhost (suite ``service-load``; not in the default run).

Starts the real server (deterministic route, N worker processes), warms it with one pass over the
documents, then sends a fixed number of requests from concurrent clients — CDA, known-format and
narrative documents in turn — and reports requests/s, latency p50/p95/p99, errors (must be 0) and the
server's resident memory (all its processes) before and after, against a stated growth bound.
Everything stays on 127.0.0.1 and stops after the last request.

    cliniq-agent bench --data ../shared/data -s service-load [--limit 500]
    python -m cliniq_agent.eval.service_load --requests 2000 --clients 8 --workers 2
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table

from cliniq_agent.core.resources import kb_path
from cliniq_agent.eval.scoring import percentile

ROOT = Path(__file__).resolve().parents[2]
RSS_GROWTH_BOUND_MIB = 150.0  # growth of the server's total RSS over the measured run that counts as a leak
KINDS = ("cda", "known_format", "narrative")
_CONTENT_TYPES = {"cda": "application/xml", "known_format": "text/plain", "narrative": "text/plain"}


class LoadReport(BaseModel):
    requests: int
    clients: int
    workers: int
    wall_s: float = 0.0
    latencies_ms: list[float] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    routes: dict[str, int] = Field(default_factory=dict)
    rss_before_mib: float = 0.0
    rss_after_mib: float = 0.0
    rss_bound_mib: float = RSS_GROWTH_BOUND_MIB
    documents: dict[str, int] = Field(default_factory=dict)

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0

    @property
    def rss_within_bound(self) -> bool:
        return self.rss_after_mib - self.rss_before_mib <= self.rss_bound_mib


def load_documents(data: Path | None) -> dict[str, list[bytes]]:
    """The request mix: the examples and warm-up notes, plus shared eICRs and seed notes when present."""
    pools: dict[str, list[bytes]] = {
        "cda": [(ROOT / "examples" / "eicr_pertussis.xml").read_bytes(), kb_path("engine", "warmup_eicr.xml").read_bytes()],
        "known_format": [(ROOT / "examples" / "known_format.txt").read_bytes(),
                         kb_path("engine", "warmup_note.txt").read_bytes()],
        "narrative": [(ROOT / "examples" / "narrative.txt").read_bytes(),
                      kb_path("engine", "warmup_narrative.txt").read_bytes()],
    }
    if data is not None and (data / "external" / "phdi-dev").is_dir():
        eicrs = sorted((data / "external" / "phdi-dev").glob("*/CDA_eICR.xml"))
        pools["cda"] += [p.read_bytes() for p in eicrs if p.stat().st_size < 2**20][:10]
    seed = data / "seed" / "test_cases.jsonl" if data is not None else None
    if seed is not None and seed.exists():
        rows = [json.loads(line) for line in seed.read_text(encoding="utf-8").splitlines() if line.strip()]
        pools["known_format"] += [row["user"].encode("utf-8") for row in rows if row.get("user")][:20]
    return pools


def server_rss_mib(pid: int) -> float:
    """Resident memory of the server and all its worker processes."""
    import psutil

    root = psutil.Process(pid)
    processes = [root, *root.children(recursive=True)]
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def run_service_load(data: Path | None, *, requests: int = 2000, clients: int = 8, workers: int = 2,
                     rss_bound_mib: float = RSS_GROWTH_BOUND_MIB) -> LoadReport:
    from cliniq_agent.service.local import local_server

    pools = load_documents(data)
    report = LoadReport(requests=requests, clients=clients, workers=workers, rss_bound_mib=rss_bound_mib,
                        documents={kind: len(docs) for kind, docs in pools.items()})
    with tempfile.TemporaryDirectory(prefix="cliniq-load-") as scratch:
        args = ["--no-llm", "--workers", str(workers), "--queue", str(4 * clients)]
        env = {"CLINIQ_AGENT_DATA_DIR": scratch}  # the run's traces go away with it
        with local_server(args, log_path=Path(scratch) / "server.log", env=env) as server:
            warm_up = [(kind, doc) for kind in KINDS for doc in pools[kind]]
            _drive(server.base_url, warm_up * 2, clients, LoadReport(requests=len(warm_up), clients=clients,
                                                                    workers=workers))
            report.rss_before_mib = server_rss_mib(server.pid)
            plan = [(KINDS[i % 3], pools[KINDS[i % 3]][(i // 3) % len(pools[KINDS[i % 3]])])
                    for i in range(requests)]
            clock = time.perf_counter()
            _drive(server.base_url, plan, clients, report)
            report.wall_s = time.perf_counter() - clock
            report.rss_after_mib = server_rss_mib(server.pid)
    return report


def _drive(base_url: str, plan: list[tuple[str, bytes]], clients: int, report: LoadReport) -> None:
    """Send every planned request once, from ``clients`` threads with one keep-alive connection each."""
    next_index = itertools.count()
    lock = threading.Lock()
    routes: Counter[str] = Counter()

    def client() -> None:
        with httpx.Client(base_url=base_url, timeout=120) as http:
            while (index := next(next_index)) < len(plan):
                kind, body = plan[index]
                started = time.perf_counter()
                try:
                    response = http.post("/v1/extract", content=body, params={"evidence": "false"},
                                         headers={"Content-Type": _CONTENT_TYPES[kind]})
                    problem = None if response.status_code == 200 else f"{kind}: HTTP {response.status_code} {response.text[:200]}"
                    route = response.json().get("route") if response.status_code == 200 else None
                except httpx.HTTPError as err:
                    problem, route = f"{kind}: {type(err).__name__}: {err}", None
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    report.latencies_ms.append(elapsed)
                    if problem:
                        report.errors.append(problem)
                    if route:
                        routes[route] += 1

    threads = [threading.Thread(target=client, name=f"load-client-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.routes = dict(routes)


def print_report(report: LoadReport, console: Console) -> None:
    table = Table(title=f"service load: {report.requests} requests, {report.clients} clients, "
                        f"{report.workers} worker process(es), deterministic route")
    for column in ("requests/s", "p50 ms", "p95 ms", "p99 ms", "errors", "routes", "RSS before MiB",
                   "RSS after MiB", f"growth ≤ {report.rss_bound_mib:g} MiB"):
        table.add_column(column)
    lat = report.latencies_ms
    table.add_row(f"{report.requests_per_s:.1f}", f"{percentile(lat, 0.5):.1f}", f"{percentile(lat, 0.95):.1f}",
                  f"{percentile(lat, 0.99):.1f}", str(len(report.errors)),
                  ", ".join(f"{k} {v}" for k, v in sorted(report.routes.items())),
                  f"{report.rss_before_mib:.0f}", f"{report.rss_after_mib:.0f}",
                  "yes" if report.rss_within_bound else "NO")
    console.print(table)
    for line in report.errors[:10]:
        console.print(f"[red]error[/red] {line}")


def service_load_suite(data: Path, *, limit: int | None) -> list:
    """The ``service-load`` benchmark suite: ``--limit`` caps the number of requests (default 2,000)."""
    from cliniq_agent.eval.runner import SuiteResult

    report = run_service_load(data if data.is_dir() else None, requests=limit or 2000)
    print_report(report, Console())
    result = SuiteResult(dataset="service load (HTTP)", variant="deterministic", cases=report.requests,
                         valid_json=report.requests - len(report.errors), latencies_ms=report.latencies_ms,
                         wall_s=report.wall_s, errors=report.errors)
    result.extra = {"p99 ms": f"{percentile(report.latencies_ms, 0.99):.1f}",
                    "RSS MiB": f"{report.rss_before_mib:.0f}→{report.rss_after_mib:.0f}",
                    "RSS bound": "ok" if report.rss_within_bound else "EXCEEDED"}
    return [result]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rss-bound-mib", type=float, default=RSS_GROWTH_BOUND_MIB)
    args = parser.parse_args()
    report = run_service_load(args.data if args.data.is_dir() else None, requests=args.requests,
                              clients=args.clients, workers=args.workers, rss_bound_mib=args.rss_bound_mib)
    print_report(report, Console())
    raise SystemExit(0 if not report.errors and report.rss_within_bound else 1)


if __name__ == "__main__":
    main()
