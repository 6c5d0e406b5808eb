"""The agent's contribution in one table (issue 13, item 5): on the narrative set (dev and held-out) and the seed
test sets, per variant (deterministic vs llm: ``-v llm`` runs the bundled model and adapters), the agent's model
turns per case, the decisions those turns took, how many were right and wrong, and F1 with and without the model.

A decision is a choose turn on one candidate (cliniq_agent.agent.records.Decision MODEL_CHOSE / MODEL_DECLINED).
Right: the model kept a code the gold holds, or declined a top hit the gold does not hold; wrong: the reverse.
Gold per data set: the narrative set's reportable conditions (scored on ``record.reportable``); the seed sets'
expected SNOMED / LOINC / RxNorm codes (scored on the record's conditions, labs and meds, as the ``tests`` suite).

Run: ``python -m cliniq_agent.eval.agent_contribution --data ../shared/data [--variant deterministic --variant llm]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pydantic import BaseModel

from cliniq_agent.core.errors import CliniqError
from cliniq_agent.eval.scoring import Counts

MODEL_DECISIONS = ("model-chose", "model-declined")


class ContributionRow(BaseModel):
    dataset: str
    variant: str
    cases: int
    turns: int = 0
    decisions: int = 0
    right: int = 0
    wrong: int = 0
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    wall_s: float = 0.0


def _seed_codes(record) -> set[str]:
    return ({c.snomed for c in record.conditions if c.snomed} | {c.icd10 for c in record.conditions if c.icd10}
            | {lab.loinc for lab in record.labs if lab.loinc} | {m.rxnorm for m in record.meds if m.rxnorm})


def _score_decisions(reports, gold: set[str]) -> tuple[int, int, int]:
    decisions = right = wrong = 0
    for report in reports:
        for candidate in report.candidates:
            if str(candidate.decision) not in MODEL_DECISIONS or not candidate.hits:
                continue
            decisions += 1
            kept = candidate.chosen.code if str(candidate.decision) == "model-chose" and candidate.chosen else None
            ok = (kept in gold) if kept else (candidate.hits[0].code not in gold)
            right, wrong = right + ok, wrong + (not ok)
    return decisions, right, wrong


def run(dataset: str, variant: str, cases: list[tuple[str, str, set[str]]], *, reportable: bool) -> ContributionRow:
    """``cases``: (id, text, gold codes)."""
    from cliniq_agent.api import extract
    from cliniq_agent.eval.runner import variant_kwargs

    row, counts, clock = ContributionRow(dataset=dataset, variant=variant, cases=len(cases)), Counts(), time.perf_counter()
    for case_id, text, gold in cases:
        try:
            extraction = extract(text, persist_trace=False, source_name=case_id, **variant_kwargs(variant))
        except CliniqError:  # a refused input (malformed XML …) predicts nothing, as in the bench
            counts.add(gold, set())
            continue
        predicted = ({r.snomed for r in extraction.record.reportable} if reportable
                     else _seed_codes(extraction.record))
        counts.add(gold, predicted)
        row.turns += sum(len(report.turns) for report in extraction.agent_reports)
        decisions, right, wrong = _score_decisions(extraction.agent_reports, gold)
        row.decisions, row.right, row.wrong = row.decisions + decisions, row.right + right, row.wrong + wrong
    row.precision, row.recall, row.f1 = counts.precision, counts.recall, counts.f1
    row.wall_s = time.perf_counter() - clock
    return row


def datasets(data: Path) -> list[tuple[str, list[tuple[str, str, set[str]]], bool]]:
    from cliniq_agent.eval.datasets import seed_test_sets
    from cliniq_agent.eval.narrative_gen import load_notes

    notes = load_notes()
    out = [(f"narrative {split}", [(n.id, n.text, set(n.gold)) for n in notes if n.split == split], True)
           for split in ("dev", "held_out")]
    seed = []
    for cases in seed_test_sets(data).values():
        for case in cases:
            gold = {c.get("snomed") or c.get("loinc") or c.get("rxnorm")
                    for key in ("conditions", "labs", "meds") for c in case.gold.get(key, [])}
            seed.append((case.case_id, case.text, {g for g in gold if g}))
    if seed:
        out.append(("seed test_cases*", seed, False))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--variant", action="append", default=None)
    parser.add_argument("--only", action="append", default=None, help="data set name prefix (narrative, seed)")
    args = parser.parse_args(argv)
    print("| data set | variant | cases | agent turns/case | decisions | right | wrong | P | R | F1 | wall s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, cases, reportable in datasets(args.data):
        if args.only and not any(name.startswith(prefix) for prefix in args.only):
            continue
        for variant in args.variant or ["deterministic", "llm"]:
            r = run(name, variant, cases, reportable=reportable)
            print(f"| {r.dataset} | {r.variant} | {r.cases} | {r.turns / max(r.cases, 1):.2f} | {r.decisions} | "
                  f"{r.right} | {r.wrong} | {r.precision:.3f} | {r.recall:.3f} | {r.f1:.3f} | {r.wall_s:.0f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
