"""Narrative generalisation: reportable conditions on hand-written notes in five languages (issue 13, item 4).

The notes (tests/data/narrative_eval/notes.jsonl, described in its README) were written from the CDC/CSTE case
definitions in the words clinicians and patients use, with traps whose gold is "no reportable condition"
(negation, exposure or contact only, prophylaxis/vaccination, hearsay, historical infection, excluded
differential, family history, non-notifiable look-alike). A fixed third is held out (stable hash of the id):
rules are tuned on the dev split only; the held-out split is for reporting.

Scored on `record.reportable` (RCTC condition SNOMED codes), micro P/R/F1 over notes, per split and per
language, and the false positives on trap notes.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from pydantic import BaseModel

from cliniq_agent.eval.scoring import CaseScore, Counts

NOTES = Path(__file__).resolve().parents[2] / "tests" / "data" / "narrative_eval" / "notes.jsonl"
SPLITS = ("dev", "held_out")


class NarrativeNote(BaseModel):
    """One evaluation note: its gold is the set of reportable conditions present (empty for traps)."""

    id: str
    lang: str
    text: str
    gold: list[str]                       # nationally notifiable conditions present (what record.reportable lists)
    gold_jurisdictional: list[str] = []   # present, but reportable only where a state rule asks (not scored)
    trap: str | None = None
    source: list[dict[str, str]]
    split: str


def split_of(note_id: str) -> str:
    """Every third note by a stable hash of its id is held out (the file's `split` column must agree)."""
    return "held_out" if int(hashlib.sha256(note_id.encode()).hexdigest(), 16) % 3 == 0 else "dev"


def load_notes(path: Path = NOTES) -> list[NarrativeNote]:
    notes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            note = NarrativeNote.model_validate_json(line)
            if note.split != split_of(note.id):
                raise ValueError(f"{path}: {note.id} is marked {note.split}, its hash says {split_of(note.id)}")
            notes.append(note)
    return notes


class NotePrediction(BaseModel):
    note: NarrativeNote
    predicted: list[str]
    latency_ms: float
    agent_turns: int | None = None


def predict(notes: list[NarrativeNote], variant: str) -> list[NotePrediction]:
    """Run the product's extract() on each note and keep its reportable condition codes."""
    from cliniq_agent.api import extract
    from cliniq_agent.eval.runner import _agent_turns, variant_kwargs

    out = []
    for note in notes:
        clock = time.perf_counter()
        extraction = extract(note.text, persist_trace=False, source_name=note.id, **variant_kwargs(variant))
        out.append(NotePrediction(note=note, predicted=sorted({r.snomed for r in extraction.record.reportable}),
                                  latency_ms=(time.perf_counter() - clock) * 1000,
                                  agent_turns=_agent_turns(extraction)))
    return out


def _counts(predictions: list[NotePrediction]) -> Counts:
    counts = Counts()
    for p in predictions:
        counts.add(set(p.note.gold), set(p.predicted))
    return counts


def _f1(counts: Counts) -> str:
    return f"{counts.f1:.3f}"


def summarise(dataset: str, variant: str, predictions: list[NotePrediction], wall_s: float, *, per_note: bool):
    """One SuiteResult row: codes P/R/F1, per-language F1, trap false positives (notes and codes), and with
    ``per_note`` each note's missed and extra codes. The held-out split is reported in aggregate only: listing its
    errors note by note is how rules end up fitted to it."""
    from cliniq_agent.eval.runner import SuiteResult

    result = SuiteResult(dataset=dataset, variant=variant, cases=len(predictions), codes=_counts(predictions),
                         valid_json=len(predictions), latencies_ms=[p.latency_ms for p in predictions], wall_s=wall_s)
    langs = sorted({p.note.lang for p in predictions})
    result.extra["F1 by lang"] = " ".join(
        f"{lang}:{_f1(_counts([p for p in predictions if p.note.lang == lang]))}" for lang in langs)
    traps = [p for p in predictions if p.note.trap]
    hit = [p for p in traps if p.predicted]
    result.extra["trap FP"] = f"{len(hit)}/{len(traps)} notes, {sum(len(p.predicted) for p in hit)} codes"
    if hit:  # by trap kind: an aggregate that says which construction fails, never which note
        kinds = sorted({p.note.trap for p in hit})
        result.extra["trap FP by kind"] = " ".join(
            f"{kind}:{sum(p.note.trap == kind for p in hit)}/{sum(p.note.trap == kind for p in traps)}"
            for kind in kinds)
    turns = [p.agent_turns for p in predictions if p.agent_turns is not None]
    if turns:
        result.extra["agent turns/case"] = f"mean {sum(turns) / len(turns):.2f}"
    if not per_note:
        return result
    for p in predictions:
        missed, extra = sorted(set(p.note.gold) - set(p.predicted)), sorted(set(p.predicted) - set(p.note.gold))
        if missed or extra:
            label = f"{p.note.id}[{p.note.trap}]" if p.note.trap else p.note.id
            result.misses.append(CaseScore(case_id=label, missed=missed, extra=extra))
    return result


def run_narrative_gen(*, limit: int | None, variants: list[str]) -> list:
    """Rows per variant: dev, held-out, and the trap notes of both (false positives are the number that counts)."""
    notes = load_notes()
    if limit:
        notes = notes[:limit]
    rows = []
    for variant in variants:
        start = time.perf_counter()
        predictions = predict(notes, variant)
        wall = time.perf_counter() - start
        for split in SPLITS:
            chosen = [p for p in predictions if p.note.split == split]
            rows.append(summarise(f"narrative-gen {split}", variant, chosen, wall * len(chosen) / len(notes),
                                  per_note=split == "dev"))
    return rows


def dump_predictions(predictions: list[NotePrediction], path: Path) -> None:
    """Per-note predictions as JSONL (for error analysis on the dev split and for agent training data)."""
    with path.open("w", encoding="utf-8") as handle:
        for p in predictions:
            handle.write(json.dumps({"id": p.note.id, "split": p.note.split, "lang": p.note.lang,
                                     "trap": p.note.trap, "gold": p.note.gold, "predicted": p.predicted},
                                    ensure_ascii=False) + "\n")
