"""Bench suite: the code index on the synonym benchmark (kb/rag/synonym_benchmark.tsv).

Prints top-1 / top-5 accuracy per query kind and overall, the score calibration table, index build time, size on
disk and query latency p50/p95 (exact-channel and fused queries apart), for each embedding model asked for.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from cliniq_agent.eval.runner import SuiteResult
from cliniq_agent.eval.retrieval import BenchmarkReport, run_benchmark
from cliniq_agent.rag.config import retrieval_config


def run_synonym_suite(data: Path | None = None, *, limit: int | None = None, variants: list[str] | None = None,
                      console: Console | None = None) -> list[SuiteResult]:
    """One result per embedding model: ``variants`` entries naming a model of kb/rag/retrieval.toml (minilm,
    e5-small, use-m3) choose the models; other variants (deterministic, llm) mean the configured default.
    ``data`` is not used: the benchmark ships in kb/."""
    console = console or Console()
    known = retrieval_config().models
    models = [v for v in (variants or []) if v in known] or [None]
    results = []
    for model in models:
        report = run_benchmark(model, limit=limit, progress=True)
        print_report(report, console)
        results.append(_suite_result(report))
    return results


def print_report(report: BenchmarkReport, console: Console) -> None:
    table = Table(title=f"synonym benchmark - embedding model {report.model}")
    for column in ("kind", "queries", "top-1", "top-5"):
        table.add_column(column)
    for kind, accuracy in sorted(report.by_kind().items(), key=lambda item: (item[0] == "overall", item[0])):
        table.add_row(kind, str(accuracy.n), f"{accuracy.top1 / accuracy.n:.3f}", f"{accuracy.top5 / accuracy.n:.3f}")
    console.print(table)
    absent, confident, mean = report.absent()
    if absent:
        console.print(f"absent from the KB: {absent} queries, top-1 score >= 0.8 for {confident}, mean top-1 score "
                      f"{mean:.2f}")
    calibration = Table(title="top-1 score band vs top-1 right (all queries)")
    for column in ("score band", "queries", "top-1 right"):
        calibration.add_column(column)
    for band, count, share in report.calibration_table():
        calibration.add_row(band, str(count), f"{share:.3f}" if count else "-")
    console.print(calibration)
    p50, p95 = report.latency()
    exact50, exact95 = report.latency(exact=True)
    fused50, fused95 = report.latency(exact=False)
    built = "built in this run" if report.built_now else "reused"
    console.print(f"index: {report.documents} documents, {report.size_bytes / 1e6:.1f} MB on disk, build "
                  f"{report.build_seconds:.1f} s ({built}; open {report.open_seconds:.2f} s)")
    console.print(f"query latency ms: all p50 {p50:.1f} / p95 {p95:.1f}; exact/alias p50 {exact50:.1f} / p95 "
                  f"{exact95:.1f}; fused (lexical + vector) p50 {fused50:.1f} / p95 {fused95:.1f}")
    misses = [o for o in report.outcomes if o.query.kind != "absent" and not o.top1]
    for outcome in misses[:15]:
        top = outcome.hits[0] if outcome.hits else None
        got = f"{top.code} {top.name!r} {top.score:.2f}" if top else "nothing"
        console.print(f"[yellow]miss[/yellow] [{outcome.query.kind}] {outcome.query.query!r} → {got} "
                      f"(expected {'|'.join(sorted(outcome.query.codes))}, rank {outcome.rank or '-'})")
    if len(misses) > 15:
        console.print(f"… and {len(misses) - 15} more misses")


def _suite_result(report: BenchmarkReport) -> SuiteResult:
    overall = report.by_kind().get("overall")
    result = SuiteResult(dataset="synonym benchmark", variant=report.model, cases=len(report.outcomes),
                         valid_json=len(report.outcomes), latencies_ms=[o.latency_ms for o in report.outcomes])
    answerable = [o for o in report.outcomes if o.query.kind != "absent"]
    result.codes.tp = sum(o.top1 for o in answerable)
    result.codes.fp = sum(1 for o in answerable if o.hits and not o.top1)
    result.codes.fn = sum(1 for o in answerable if not o.top1)
    result.wall_s = sum(o.latency_ms for o in report.outcomes) / 1000
    if overall:
        result.extra = {"top1": f"{overall.top1 / overall.n:.3f}", "top5": f"{overall.top5 / overall.n:.3f}",
                        "build_s": f"{report.build_seconds:.1f}", "size_MB": f"{report.size_bytes / 1e6:.1f}"}
    return result
