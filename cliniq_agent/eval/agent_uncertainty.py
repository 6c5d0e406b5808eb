"""Where the deterministic rules and retrieval are uncertain on narrative notes: the decisions the agent's model
could take (issue 13, item 5). Measured on the narrative set's DEV split only (tests/data/narrative_eval): the
held-out third is never looked at here, and nothing measured here is turned into training rows (the rows come from
templates and KB names, scripts/generate_agent_data.py).

For every dev note the product runs deterministically (no model) and this counts, per decision type:

- ``choose``: an agent candidate phrase whose top code-index hit scores in the ask band (``ask`` <= score <
  ``accept``, kb/agent/agent.toml): the model's choose turn decides these. Right = the top hit's code is a gold
  reportable condition of the note (conditions), wrong = it is another RCTC condition, other = a non-reportable
  concept (accepting it changes no reportable answer).
- ``accepted`` / ``below-ask`` / ``no-hit``: candidates the retrieval decides alone (for comparison).
- ``confirm``: a reportable condition the rules keep whose mention has conflicting ConText cues (two or more
  modifier categories), or whose trigger text sits in a sentence with a quote / hearsay / exposure cue. Right =
  the condition is gold (keeping it was right).
- ``missed``: gold reportable conditions the pipeline did not report (no decision reached them).

Run: ``python -m cliniq_agent.eval.agent_uncertainty`` (prints the table; ``--json PATH`` writes the details).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

from pydantic import BaseModel, Field

from cliniq_agent.eval.narrative_gen import NarrativeNote, load_notes


class DecisionCount(BaseModel):
    """One decision type: how often it came up on the dev split and how the deterministic answer fares."""

    decision: str
    kind: str
    n: int = 0
    notes: int = 0
    right: int = 0
    wrong: int = 0
    other: int = 0
    examples: list[str] = Field(default_factory=list)


class UncertaintyReport(BaseModel):
    notes: int
    gold: int
    predicted: int
    true_positive: int
    rows: list[DecisionCount]
    misses: dict[str, int]
    false_positives: dict[str, int]


def _rctc_codes() -> frozenset[str]:
    from cliniq_agent.core.tsv import kb_table

    return frozenset(row["snomed"] for row in kb_table("terminology", "rctc_conditions.tsv"))


def _band(score: float | None, ask: float, accept: float) -> str:
    if score is None:
        return "no-hit"
    if score >= accept:
        return "accepted"
    return "choose" if score >= ask else "below-ask"


def analyse(notes: list[NarrativeNote], *, max_examples: int = 4) -> UncertaintyReport:
    from cliniq_agent.agent.settings import agent_settings
    from cliniq_agent.api import extract
    from cliniq_agent.text.context import ContextEngine
    from cliniq_agent.text.doc import TextDoc

    settings, context, rctc = agent_settings(), ContextEngine.default(), _rctc_codes()
    rows: dict[tuple[str, str], DecisionCount] = {}
    seen_in: dict[tuple[str, str], set[str]] = defaultdict(set)
    misses, false_positives = Counter(), Counter()
    gold_n = predicted_n = tp = 0

    def row(decision: str, kind: str) -> DecisionCount:
        return rows.setdefault((decision, kind), DecisionCount(decision=decision, kind=kind))

    for note in notes:
        extraction = extract(note.text, use_llm=False, persist_trace=False, source_name=note.id)
        doc = TextDoc(note.text)   # its ConText analysis made once for every reportable's span below
        gold, predicted = set(note.gold), {r.snomed for r in extraction.record.reportable}
        gold_n, predicted_n, tp = gold_n + len(gold), predicted_n + len(predicted), tp + len(gold & predicted)
        for code in gold - predicted:
            misses[note.trap or "present"] += 1
            item = row("missed", "conditions")
            item.n += 1
            seen_in[("missed", "conditions")].add(note.id)
            if len(item.examples) < max_examples:
                item.examples.append(f"{note.id}: {code}")
        for code in predicted - gold:
            false_positives[note.trap or "present"] += 1
        for report in extraction.agent_reports:
            for candidate in report.candidates:
                top = candidate.hits[0] if candidate.hits else None
                decision = _band(top.score if top else None, settings.ask, settings.accept)
                item = row(decision, candidate.kind)
                item.n += 1
                seen_in[(decision, candidate.kind)].add(note.id)
                if top is not None and candidate.kind == "conditions":
                    if top.code in gold:
                        item.right += 1
                    elif top.code in rctc:
                        item.wrong += 1
                    else:
                        item.other += 1
                if len(item.examples) < max_examples and top is not None:
                    item.examples.append(f"{note.id}: '{candidate.phrase}' -> {top.code} {top.name} ({top.score:.2f})")
        for reportable in extraction.record.reportable:
            codes = {t.code for t in reportable.triggers}
            spans = [ev.span for item in [*extraction.record.conditions, *extraction.record.labs]
                     if {getattr(item, f) for f in item.CODE_FIELDS} & codes for ev in item.evidence if ev.span]
            for span in spans[:1]:
                verdict = context.assess(doc, span)
                categories = {m.category for m in verdict.modifiers}
                if len(categories) < 2:
                    continue
                item = row("confirm", "conditions")
                item.n += 1
                seen_in[("confirm", "conditions")].add(note.id)
                if reportable.snomed in gold:
                    item.right += 1
                else:
                    item.wrong += 1
                if len(item.examples) < max_examples:
                    item.examples.append(f"{note.id}: {reportable.snomed} cues {sorted(categories)}")
    for key, item in rows.items():
        item.notes = len(seen_in[key])
    order = ["choose", "confirm", "missed", "accepted", "below-ask", "no-hit"]
    ranked = sorted(rows.values(), key=lambda r: (order.index(r.decision), r.kind))
    return UncertaintyReport(notes=len(notes), gold=gold_n, predicted=predicted_n, true_positive=tp, rows=ranked,
                             misses=dict(misses), false_positives=dict(false_positives))


def print_report(report: UncertaintyReport) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Agent decisions on the narrative DEV split ({report.notes} notes, deterministic run; "
                        f"gold {report.gold}, predicted {report.predicted}, TP {report.true_positive})")
    for column in ("decision", "kind", "n", "notes", "right", "wrong", "other", "examples"):
        table.add_column(column)
    for row in report.rows:
        table.add_row(row.decision, row.kind, str(row.n), str(row.notes), str(row.right), str(row.wrong),
                      str(row.other), "\n".join(row.examples[:2]))
    console = Console(width=200)
    console.print(table)
    console.print(f"misses by note type: {report.misses}; false positives by note type: {report.false_positives}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the report as JSON")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args(argv)
    notes = [n for n in load_notes() if n.split == "dev"]
    report = analyse(notes[: args.limit] if args.limit else notes)
    print_report(report)
    if args.json:
        args.json.write_text(report.model_dump_json(indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
