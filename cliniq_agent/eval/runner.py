"""Run the benchmark suites and print one table per data set (medians and ratios from one run)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table

from cliniq_agent.eval.datasets import (
    PairCase,
    TextCase,
    cda_files,
    rr_pairs,
    seed_test_sets,
    seed_val,
    synthetic_dev,
)
from cliniq_agent.core.errors import CliniqError, UsageError
from cliniq_agent.core.state import ModelRun
from cliniq_agent.eval.scoring import CaseScore, Counts, percentile, score_case


class SuiteResult(BaseModel):
    """One row of a benchmark table."""

    dataset: str
    variant: str
    cases: int
    codes: Counts = Field(default_factory=Counts)
    full: Counts | None = None
    valid_json: int = 0
    invalid_codes_removed: int = 0
    latencies_ms: list[float] = Field(default_factory=list)
    wall_s: float = 0.0
    misses: list[CaseScore] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    extra: dict[str, str] = Field(default_factory=dict)

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 0.5)

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 0.95)


VARIANTS = ("deterministic", "llm", "base")


def variant_kwargs(variant: str) -> dict:
    """extract() keywords of a benchmark variant: no LLM, the shipped adapter, or the base model alone."""
    if variant == "deterministic":
        return {"use_llm": False}
    if variant == "llm":
        return {"use_llm": True}
    if variant == "base":
        from cliniq_agent.llm.models import DEFAULT_CHAT_FORMAT, default_base_model

        return {"use_llm": True, "model_path": default_base_model(), "chat_format": DEFAULT_CHAT_FORMAT,
                "prompt_style": "short"}
    raise ValueError(f"unknown variant {variant!r}; choose from {VARIANTS}")


def _agent_turns(extraction) -> int | None:
    """Model turns the narrative agent took in this run (None when the agent did not run)."""
    if not extraction.agent_reports:
        return None
    return sum(len(report.turns) for report in extraction.agent_reports)


def _model_answer(run: ModelRun) -> dict | None:
    """The model's own codes (before grounding and the parser merge), as a compact-like dict."""
    if run.answer is None:
        return None
    return {"conditions": [{"snomed" if c[:1].isdigit() else "icd10": c} for c in run.answer["c"]],
            "labs": [{"loinc": code} for code in run.answer["l"]], "meds": [{"rxnorm": code} for code in run.answer["m"]]}


def run_text_suite(dataset: str, variant: str, cases: list[TextCase], *, with_full: bool,
                   systems: tuple[str, ...] | None = None) -> SuiteResult:
    from cliniq_agent.api import extract

    result = SuiteResult(dataset=dataset, variant=variant, cases=len(cases), full=Counts() if with_full else None)
    json_states: dict[str, int] = {}
    model_only = Counts()
    agent_turns: list[int] = []
    start = time.perf_counter()
    for case in cases:
        clock = time.perf_counter()
        try:
            extraction = extract(case.text, persist_trace=False, source_name=case.case_id, **variant_kwargs(variant))
            prediction = extraction.to_compact(evidence=False)
            result.valid_json += 1
            result.extra["route"] = extraction.route
            turns = _agent_turns(extraction)
            if turns is not None:
                agent_turns.append(turns)
            for run in extraction.model_runs:
                json_states[run.validity.value] = json_states.get(run.validity.value, 0) + 1
                score_case(case.gold, _model_answer(run), model_only, systems=systems)
        except CliniqError as err:
            prediction = None
            result.errors.append(f"{case.case_id}: {err}")
        result.latencies_ms.append((time.perf_counter() - clock) * 1000)
        case_score, dropped = score_case(case.gold, prediction, result.codes, result.full, systems=systems,
                                         case_id=case.case_id)
        result.invalid_codes_removed += dropped
        if case_score.missed or case_score.extra:
            result.misses.append(case_score)
    result.wall_s = time.perf_counter() - start
    if agent_turns:
        result.extra["agent turns/case"] = f"mean {sum(agent_turns) / len(agent_turns):.2f}, max {max(agent_turns)}"
    if json_states:
        runs = sum(json_states.values())
        result.extra["model JSON"] = ", ".join(f"{k} {v}/{runs}" for k, v in sorted(json_states.items()))
        result.extra["model-only codes F1"] = f"{model_only.f1:.3f}"
    return result


def run_cda_suite(files: list[Path], *, use_llm: bool) -> SuiteResult:
    """Throughput and FHIR validity over CDA files (no gold codes)."""
    from cliniq_agent.api import extract
    from cliniq_agent.fhir import validate_bundle

    result = SuiteResult(dataset="external CDA", variant="cda", cases=len(files))
    fhir_ok = non_empty = 0
    start = time.perf_counter()
    for path in files:
        clock = time.perf_counter()
        try:
            extraction = extract(path, use_llm=use_llm, persist_trace=False)
            result.latencies_ms.append((time.perf_counter() - clock) * 1000)
            result.valid_json += 1
            bundle = extraction.to_fhir()
            validate_bundle(bundle)
            fhir_ok += 1
            non_empty += bool(bundle.get("entry"))
        except Exception as err:  # noqa: BLE001 - a benchmark reports every failure and carries on
            result.errors.append(f"{path.name}: {type(err).__name__}: {err}")
    result.wall_s = time.perf_counter() - start
    result.extra = {"fhir_valid": f"{fhir_ok}/{len(files)}", "non_empty": f"{non_empty}/{len(files)}"}
    return result


def rr_gold(path: Path) -> set[str]:
    """SNOMED codes of the conditions an RR determined reportable (our own CDA parser reads the RR)."""
    from cliniq_agent.cda import parse_cda
    from cliniq_agent.core.xmlsafe import parse_xml

    parsed = parse_cda(parse_xml(path.read_bytes(), name=str(path)), source_name=str(path))
    return {r.snomed for r in parsed.rr_conditions if r.confidence > 0}


def run_reportability_suite(pairs: list[PairCase], *, use_llm: bool) -> SuiteResult:
    """eICR → reportable conditions, scored against the paired RR (micro P/R over cases)."""
    from cliniq_agent.api import extract

    result = SuiteResult(dataset="phdi-dev eICR→RR", variant="reportable", cases=len(pairs))
    start = time.perf_counter()
    for pair in pairs:
        clock = time.perf_counter()
        extraction = extract(pair.eicr, use_llm=use_llm, persist_trace=False)
        result.latencies_ms.append((time.perf_counter() - clock) * 1000)
        result.valid_json += 1
        predicted = {r.snomed for r in extraction.record.reportable}
        gold = rr_gold(pair.rr)
        result.codes.add(gold, predicted)
        if gold != predicted:
            result.misses.append(CaseScore(case_id=pair.case_id, missed=sorted(gold - predicted),
                                           extra=sorted(predicted - gold)))
    result.wall_s = time.perf_counter() - start
    return result


def print_results(results: list[SuiteResult], console: Console, *, show_misses: int = 10) -> None:
    table = Table(title="cliniq-agent benchmark")
    for column in ("data set", "variant", "n", "codes P", "codes R", "codes F1", "full F1", "valid JSON",
                   "invalid codes removed", "p50 ms", "p95 ms", "docs/s", "notes"):
        table.add_column(column)
    for r in results:
        docs_per_s = r.cases / r.wall_s if r.wall_s else 0.0
        scored = r.codes.tp + r.codes.fp + r.codes.fn > 0
        table.add_row(
            r.dataset, r.variant, str(r.cases),
            f"{r.codes.precision:.3f}" if scored else "-", f"{r.codes.recall:.3f}" if scored else "-",
            f"{r.codes.f1:.3f}" if scored else "-", f"{r.full.f1:.3f}" if r.full else "-",
            f"{r.valid_json}/{r.cases}", str(r.invalid_codes_removed), f"{r.p50:.1f}", f"{r.p95:.1f}",
            f"{docs_per_s:.1f}", ", ".join(f"{k}={v}" for k, v in r.extra.items()),
        )
    console.print(table)
    for r in results:
        for line in r.errors[:show_misses]:
            console.print(f"[red]{r.dataset} error[/red] {line}")
        for miss in r.misses[:show_misses]:
            console.print(f"[yellow]{r.dataset}/{r.variant} {miss.case_id}[/yellow] missed={miss.missed} extra={miss.extra}")
        if len(r.misses) > show_misses:
            console.print(f"… and {len(r.misses) - show_misses} more cases with differences")


SUITES: dict[str, Callable[..., list[SuiteResult]]] = {}


def suite(name: str):
    def register(fn: Callable[..., list[SuiteResult]]):
        SUITES[name] = fn
        return fn
    return register


@suite("val")
def _val(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    cases = seed_val(data, limit)
    return [run_text_suite("seed val-compact", v, cases, with_full=True) for v in variants]


@suite("tests")
def _tests(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    results = []
    for name, cases in seed_test_sets(data).items():
        for v in variants:
            # the test sets' gold has SNOMED conditions only: score conditions on SNOMED
            results.append(run_text_suite(name, v, cases[:limit] if limit else cases, with_full=False,
                                          systems=("snomed", "loinc", "rxnorm")))
    return results


@suite("cda")
def _cda(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    files = cda_files(data)
    return [run_cda_suite(files[:limit] if limit else files, use_llm=False)]


@suite("reportable")
def _reportable(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    pairs = rr_pairs(data)
    return [run_reportability_suite(pairs[:limit] if limit else pairs, use_llm=False)]


@suite("reportable-cv")
def _reportable_cv(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    """phdi-dev reportability in-sample and 5-fold cross-validated (harvested tables rebuilt per fold)."""
    from cliniq_agent.eval.reportable_cv import run_reportable_cv

    return run_reportable_cv(data, limit=limit)


SYNTHETIC_DEV = Path("build/fastpath_data/dev.jsonl")


@suite("fastpath-dev")
def _fastpath_dev(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    """Held-out synthetic notes where inline codes are missing or malformed (generate them first:
    python scripts/generate_fastpath_data.py --seed-dir <data>/seed --out build/fastpath_data)."""
    if not SYNTHETIC_DEV.exists():
        raise UsageError(f"{SYNTHETIC_DEV} is missing: run scripts/generate_fastpath_data.py first (scripts/README.md)")
    cases = synthetic_dev(SYNTHETIC_DEV, limit)
    return [run_text_suite("synthetic dev (held out)", v, cases, with_full=False) for v in variants]


@suite("synonyms")
def _synonyms(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    from cliniq_agent.eval.synonyms import run_synonym_suite

    return run_synonym_suite(data, limit=limit, variants=[v for v in variants if v not in VARIANTS] or None)


@suite("narrative-gen")
def _narrative_gen(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    """Hand-written 5-language notes (tests/data/narrative_eval): reportable P/R/F1 on dev and held-out, trap FPs."""
    from cliniq_agent.eval.narrative_gen import run_narrative_gen

    return run_narrative_gen(limit=limit, variants=variants)


@suite("throughput")
def _throughput(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    """docs/s in-process, on the local pool (1 and 2 workers) and on Ray (2 actors); prints its own tables."""
    from cliniq_agent.eval.throughput import run_throughput

    run_throughput(data, limit=limit)
    return []


@suite("service-load")
def _service_load(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    """`cliniq-agent serve` on localhost under 8 concurrent clients (deterministic; --limit = requests)."""
    from cliniq_agent.eval.service_load import service_load_suite

    return service_load_suite(data, limit=limit)


@suite("fuzz")
def _fuzz(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    """Hostile-input campaign (no data needed): ok / rejected / crash / slow and peak RSS per input class."""
    from cliniq_agent.eval.fuzz import per_class_default, print_table, run_campaign

    results = run_campaign(limit or per_class_default(), progress=True)
    print_table(results, budget_s=30.0)
    return []


@suite("fhir-coverage")
def _fhir_coverage(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    """Per shared CDA file: resources per type converted / skipped and why, codes (with translations) that reach
    the bundle, resources per bundle and conversion time (deterministic tiers); prints its own tables."""
    from cliniq_agent.eval.fhir_coverage import measure, print_coverage

    files = cda_files(data)
    print_coverage(measure(files[:limit] if limit else files), Console())
    return []


@suite("text-scaling")
def _text_scaling(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    """ms per text-note size (10 KB to 5 MB; --limit = largest size in KB), slope and log-log exponent."""
    from cliniq_agent.eval.scaling import run_scaling_suite

    run_scaling_suite(data, limit=limit)
    return []


@suite("eicr-probe")
def _eicr_probe(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    """Generated eICRs: every trigger placement / encoding per national condition (cliniq_agent.eval.eicr_probe);
    ``limit`` N keeps about every (total / N)-th case of each kind."""
    from cliniq_agent.eval.eicr_probe import cases, run

    every = 1
    if limit:
        every = max(1, len(cases()) // limit)
    return run(cases(every=every))


@suite("narrative-probe")
def _narrative_probe(data: Path, *, limit: int | None, variants: list[str]) -> list[SuiteResult]:
    """Generated short trap / control notes: every notifiable condition × language × construction (excluded
    differential, confirmed differential, vaccination, prophylaxis, immunity; cliniq_agent.eval.narrative_probe),
    one row per construction and per language; ``limit`` N keeps about every (total / N)-th note."""
    from cliniq_agent.eval.narrative_probe import cases, run

    every = max(1, len(cases()) // limit) if limit else 1
    return run(cases(every=every))


DEFAULT_SUITES = ("val", "tests", "cda", "reportable", "synonyms")


def run_benchmarks(data: Path, suites: list[str], *, limit: int | None, variants: list[str], console: Console) -> list[SuiteResult]:
    results: list[SuiteResult] = []
    for name in suites:
        results.extend(SUITES[name](data, limit=limit, variants=variants))
    print_results(results, console)
    return results
