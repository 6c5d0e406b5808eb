"""The text tiers, in the order they run over a note (the ``text`` node of graph.py):

    TIERS = [line_parser, regex_markers, icd10_links, kb_lookup, criteria]

Each is a plain function ``(TierInput, Draft) -> Draft``: it reads the note's facts (its ``TextDoc``) and
adds its items to the draft the earlier tiers left (a later tier leaves alone what an earlier one coded).
To add a tier, write such a function and put it in the list where it belongs. The agent then codes the
phrases the tiers left uncoded (agent/graph.py, the ``agent`` node).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cliniq_agent.core.errors import InputError
from cliniq_agent.core.schema import CompactRecord
from cliniq_agent.core.state import Draft
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.criteria import infer_from_criteria
from cliniq_agent.text.criteria.serology import mark_past_serology
from cliniq_agent.text.criteria.superseded import settle_superseded
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.lines.labels import CLINICAL_FIELDS, NARRATIVE_FIELDS, LabelledLine
from cliniq_agent.text.lines.parser import parse_known_format
from cliniq_agent.text.lookup.tier import extract_lookup_draft, link_icd10_conditions
from cliniq_agent.text.markers.tier import extract_markers_draft

Span = tuple[int, int]
_SCANNED_FIELDS = CLINICAL_FIELDS | NARRATIVE_FIELDS       # lines the lookup tier and the agent read
_TEST_FIELDS = CLINICAL_FIELDS - {"conditions"}            # lab, med, vital, immunization lines
_PROSE_FIELDS = NARRATIVE_FIELDS | {"conditions"}          # where findings describe the patient's illness
# Largest text note the text route accepts (README "Long input"): time grows linearly, and at this size a
# note still finishes well inside the default 300 s budget on a 2-core machine.
MAX_TEXT_CHARS = 5_000_000


class TextTooLarge(InputError):
    """A text note over ``MAX_TEXT_CHARS``."""


@dataclass
class TierInput:
    """What the tiers read about one note: its ``TextDoc`` (text, labelled lines, folds, ConText analyses —
    each computed once) and ConText engine; the line parser fills in ``unclaimed`` (the text no label
    claims, which the regex and lookup tiers scan)."""

    doc: TextDoc
    engine: ContextEngine
    unclaimed: list[Span]

    @classmethod
    def of(cls, doc: TextDoc) -> TierInput:
        check_text_size(doc.text)
        return cls(doc=doc, engine=ContextEngine.default(), unclaimed=[])

    @property
    def text(self) -> str:
        return self.doc.text

    @property
    def lines(self) -> tuple[LabelledLine, ...]:
        return self.doc.lines


def line_parser(note: TierInput, draft: Draft) -> Draft:
    """Labelled lines ("Dx:", "Lab:", "Meds:" …) in five languages; the first tier, so it also fills the patient,
    the encounter and social history (items a draft already had come after the parser's)."""
    record, note.unclaimed = parse_known_format(note.doc, engine=note.engine)
    _extend(record, draft.record)
    draft.record = record
    return draft


def regex_markers(note: TierInput, draft: Draft) -> Draft:
    """Inline code markers (``(SNOMED 840539006)``, ``LOINC: 94500-6`` …) in the unlabelled text."""
    if note.unclaimed:
        _extend(draft.record, extract_markers_draft(note.doc, note.unclaimed, engine=note.engine))
        draft.notes.append(f"{len(note.unclaimed)} unlabelled text region(s) scanned by the regex and lookup tiers")
    return draft


def icd10_links(note: TierInput, draft: Draft) -> Draft:
    """A condition coded only in ICD-10-CM gets the SNOMED code of the reportable condition it indicates."""
    link_icd10_conditions(draft.record)
    return draft


def kb_lookup(note: TierInput, draft: Draft) -> Draft:
    """KB names (any of five languages) in unlabelled text and clinical lines, where no tier coded yet."""
    _extend(draft.record, extract_lookup_draft(
        note.doc, [*note.unclaimed, *note.doc.value_spans(_SCANNED_FIELDS)], engine=note.engine,
        skip=coded_spans(draft.record), test_spans=note.doc.value_spans(_TEST_FIELDS)))
    return draft


def criteria(note: TierInput, draft: Draft) -> Draft:
    """Suspected conditions from clinical criteria (kb/criteria) met by the findings of the prose."""
    spans = [*note.unclaimed, *note.doc.value_spans(_PROSE_FIELDS)]
    inferred, notes = infer_from_criteria(note.doc, spans, draft.record, engine=note.engine)
    _extend(draft.record, inferred)
    draft.notes.extend(notes)
    # serology read as a whole (kb/criteria/serology.tsv): lab lines and prose both carry hepatitis markers
    draft.notes.extend(mark_past_serology(note.doc, [*spans, *note.doc.value_spans(_TEST_FIELDS)], draft.record))
    # a suspicion a later sentence excludes or a settled-diagnosis heading replaces (criteria/superseded.py)
    draft.notes.extend(settle_superseded(note.doc, draft.record))
    return draft


Tier = Callable[[TierInput, Draft], Draft]
TIERS: list[Tier] = [line_parser, regex_markers, icd10_links, kb_lookup, criteria]


def run_tiers(doc: TextDoc, *, producer: str) -> tuple[TierInput, Draft]:
    """Every tier over one note, in order (the no-LLM extraction of any text)."""
    note, draft = TierInput.of(doc), Draft(producer=producer, record=CompactRecord())
    for tier in TIERS:
        draft = tier(note, draft)
    return note, draft


def agent_regions(note: TierInput) -> list[Span]:
    """Where the agent looks: everything but the lines whose label it does not read (patient, encounter …)."""
    skip = sorted({line.line_span for line in note.lines if line.field not in _SCANNED_FIELDS})
    regions, cursor = [], 0
    for start, end in skip:
        if start > cursor:
            regions.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < len(note.text):
        regions.append((cursor, len(note.text)))
    return regions


def check_text_size(text: str) -> None:
    """Refuse a text note over ``MAX_TEXT_CHARS`` with one clear input error (the tiers are linear, but a
    bigger note would not finish within the default time budget; split it into several documents)."""
    if len(text) > MAX_TEXT_CHARS:
        raise TextTooLarge(f"text note of {len(text):,} characters is over the {MAX_TEXT_CHARS:,}-character "
                           "limit for the text route; split it into several documents")


def _extend(record: CompactRecord, extra: CompactRecord) -> None:
    for name in CompactRecord.ITEM_LISTS:
        getattr(record, name).extend(getattr(extra, name))


def coded_spans(record: CompactRecord) -> list[Span]:
    """Evidence spans of the items that already carry a code: the next tier (and the agent) leave them alone."""
    return [evidence.span for name in CompactRecord.ITEM_LISTS if name != "vitals" for item in getattr(record, name)
            if _has_code(item) for evidence in item.evidence if evidence.span]


def _has_code(item: Any) -> bool:
    return any(getattr(item, field) for field in type(item).CODE_FIELDS)


def deterministic_draft(text: str | TextDoc, *, producer: str) -> Draft:
    """The tiers' draft alone, without the agent (what the fast path's parser merge and the tests start from)."""
    return run_tiers(TextDoc.of(text), producer=producer)[1]
