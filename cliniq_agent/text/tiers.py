"""The text tiers every text route shares: the line parser, the regex tier, the KB lookup tier, the
clinical-criteria tier (``deterministic_draft``) and the narrative agent over whatever they left uncoded (``agent_pass``)."""

from __future__ import annotations

from typing import Any

from cliniq_agent.agent.graph import run_agent
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.criteria import infer_from_criteria
from cliniq_agent.core.errors import InputError, ModelError
from cliniq_agent.text.lines.labels import CLINICAL_FIELDS, NARRATIVE_FIELDS, labelled_lines
from cliniq_agent.text.lines.parser import parse_known_format
from cliniq_agent.llm.models import ModelSpec, agent_spec, resolve_spec
from cliniq_agent.text.lookup.tier import extract_lookup_draft, link_icd10_conditions
from cliniq_agent.text.markers.tier import extract_markers_draft
from cliniq_agent.core.schema import CompactRecord
from cliniq_agent.core.state import Draft, RunOptions

_SCANNED_FIELDS = CLINICAL_FIELDS | NARRATIVE_FIELDS       # lines the lookup tier and the agent read
_TEST_FIELDS = CLINICAL_FIELDS - {"conditions"}            # lab, med, vital, immunization lines
_PROSE_FIELDS = NARRATIVE_FIELDS | {"conditions"}          # where findings describe the patient's illness
# Largest text note the text route accepts (README "Long input"): time grows linearly, and at this size a
# note still finishes well inside the default 300 s budget on a 2-core machine.
MAX_TEXT_CHARS = 5_000_000


class TextTooLarge(InputError):
    """A text note over ``MAX_TEXT_CHARS``."""


def deterministic_draft(text: str, *, producer: str) -> Draft:
    """Line parser + regex tier + lookup tier + clinical criteria over one text (the no-LLM extraction of any text)."""
    check_text_size(text)
    engine = ContextEngine.default()
    lines = labelled_lines(text)
    record, unclaimed = parse_known_format(text, engine=engine)
    extra = extract_markers_draft(text, unclaimed, engine=engine) if unclaimed else CompactRecord()
    _extend(record, extra)
    link_icd10_conditions(record)
    _extend(record, extract_lookup_draft(
        text, [*unclaimed, *(line.value_span for line in lines if line.field in _SCANNED_FIELDS)], engine=engine,
        skip=_coded_spans(record), test_spans=[line.value_span for line in lines if line.field in _TEST_FIELDS]))
    prose = [*unclaimed, *(line.value_span for line in lines if line.field in _PROSE_FIELDS)]
    inferred, criteria_notes = infer_from_criteria(text, prose, record, engine=engine)
    _extend(record, inferred)
    notes = [f"{len(unclaimed)} unlabelled text region(s) scanned by the regex and lookup tiers"] if unclaimed else []
    return Draft(producer=producer, record=record, notes=[*notes, *criteria_notes])


def check_text_size(text: str) -> None:
    """Refuse a text note over ``MAX_TEXT_CHARS`` with one clear input error (the tiers are linear, but a
    bigger note would not finish within the default time budget; split it into several documents)."""
    if len(text) > MAX_TEXT_CHARS:
        raise TextTooLarge(f"text note of {len(text):,} characters is over the {MAX_TEXT_CHARS:,}-character "
                           "limit for the text route; split it into several documents")


def _extend(record: CompactRecord, extra: CompactRecord) -> None:
    for name in CompactRecord.ITEM_LISTS:
        getattr(record, name).extend(getattr(extra, name))


def _coded_spans(record: CompactRecord) -> list[tuple[int, int]]:
    """Evidence spans of the items that already carry a code: the next tier leaves them alone."""
    return [evidence.span for name in CompactRecord.ITEM_LISTS if name != "vitals" for item in getattr(record, name)
            if _has_code(item) for evidence in item.evidence if evidence.span]


def _has_code(item: Any) -> bool:
    return any(getattr(item, field) for field in type(item).CODE_FIELDS)


def agent_pass(text: str, base: Draft, options: RunOptions, *, producer: str,
               regions: list[tuple[int, int]] | None = None) -> tuple[Draft, list]:
    """Run the agent over ``regions`` (default: all unlabelled text and clinical lines), skipping spans
    another tier already coded."""
    if regions is None:
        skip = {line.line_span for line in labelled_lines(text) if line.field not in _SCANNED_FIELDS}
        regions = _complement(len(text), sorted(skip))
    covered = _coded_spans(base.record)
    spec, notes = _spec(options)
    result = run_agent(text, regions, covered, spec)
    notes += [f"agent: {len(result['candidates'])} candidate phrase(s), {len(result['turns'])} model turn(s)"]
    notes += [f"turn {t.kind} '{t.question}' → {t.answer} ({t.duration_ms:.0f} ms)" for t in result["turns"]]
    notes += [f"candidate '{c.phrase}' [{c.cue}] → {c.chosen.code if c.chosen else 'none'}: {c.verdict}"
              for c in result["candidates"]]
    candidates = [{**c.model_dump(mode="json"), "turns": [t.model_dump(mode="json") for t in result["turns"]
                                                           if t.candidate == c.id]} for c in result["candidates"]]
    return (Draft(producer=producer, record=result["record"], notes=notes, candidates=candidates),
            result["dropped"])


def _spec(options: RunOptions) -> tuple[ModelSpec | None, list[str]]:
    if not options.use_llm:
        return None, ["agent: no model (--no-llm): deterministic decisions only"]
    try:
        if options.model_path is None:
            return agent_spec(), []
        return resolve_spec(options.model_path, options.lora_path, options.chat_format), []
    except ModelError as err:
        return None, [f"agent: model unavailable ({err}); deterministic decisions only"]


def _complement(length: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    regions, cursor = [], 0
    for start, end in spans:
        if start > cursor:
            regions.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < length:
        regions.append((cursor, length))
    return regions
