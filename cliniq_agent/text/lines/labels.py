"""Split text into labelled lines using the label table in kb/known_format/labels.tsv."""

from __future__ import annotations

from functools import lru_cache

import regex
from pydantic import BaseModel, ConfigDict

from cliniq_agent.core.tsv import kb_table
from cliniq_agent.core.textnorm import fold
from cliniq_agent.text.doc import TextDoc

CLINICAL_FIELDS = frozenset({"conditions", "labs", "meds", "vitals", "immunizations"})
# Free-text fields whose value is clinical prose: the text tiers scan them like unlabelled narrative.
NARRATIVE_FIELDS = frozenset({"encounter.reason"})
# Lines listing what the patient received, not what they have: a later clause stating a finding is not part of
# the list ("Vaccines: DTaP incomplete; pertussis confirmed by PCR" — the diagnosis is prose, not a vaccine).
_LIST_LINE_FIELDS = frozenset({"immunizations"})


class LabelledLine(BaseModel):
    """One "Label: value" line; ``value_span`` indexes the original text. Frozen: a ``TextDoc`` shares them."""

    model_config = ConfigDict(frozen=True)

    line_no: int
    label: str
    field: str
    value: str
    value_span: tuple[int, int]
    line_span: tuple[int, int]


@lru_cache(maxsize=1)
def _label_regex() -> tuple[regex.Pattern[str], dict[str, str]]:
    fields = {fold(row["label"]): row["field"] for row in kb_table("known_format", "labels.tsv")}
    alternatives = "|".join(regex.escape(label) for label in sorted(fields, key=len, reverse=True))
    pattern = regex.compile(rf"^[ \t>*\-]*(?P<label>{alternatives})[ \t]*(?:\([^)\n]*\))?[ \t]*:[ \t]*(?P<value>[^\n]*)$", regex.M)
    return pattern, fields


def labelled_lines(text: str | TextDoc) -> list[LabelledLine]:
    """Every line that starts with a known label followed by ':'.

    Format detection, the line parser, the fast path's prompt and budget, grounding and the agent all
    ask for the same text's lines during one run: the split is computed once per document (``TextDoc.lines``)."""
    return list(TextDoc.of(text).lines)


def split_labelled_lines(doc: TextDoc) -> tuple[LabelledLine, ...]:
    """The split itself (``TextDoc.lines`` calls it once per document)."""
    pattern, fields = _label_regex()
    text, folded = doc.text, doc.fold
    lines = []
    line_no, counted_to = 1, 0     # line numbers counted incrementally: once over the text, not once per line
    for match in pattern.finditer(folded):
        line_no += text.count("\n", counted_to, match.start())
        counted_to = match.start()
        value_start, value_end = match.span("value")
        line_end = match.end()
        if fields[match.group("label")] in _LIST_LINE_FIELDS:
            cut = _list_end(doc, value_start, value_end)
            if cut is not None:   # "Vaccines: DTaP x2; pertussis confirmed by PCR": the rest is prose
                value_end = line_end = cut
        raw_value = text[value_start:value_end]
        stripped = raw_value.rstrip()
        lines.append(
            LabelledLine(
                line_no=line_no,
                label=text[match.start("label"):match.end("label")],
                field=fields[match.group("label")],
                value=stripped,
                value_span=(value_start, value_start + len(stripped)),
                line_span=(match.start(), line_end),
            )
        )
    return tuple(lines)


def _list_end(doc: TextDoc, start: int, end: int) -> int | None:
    """Where a list line's list ends: the ";" or sentence stop after which a clause states a finding of its own
    (ConText's *_term_finding rows: "positive", "confirmed by", "diagnosed" …). Only lines with a break."""
    # imported here: the engine reads TextDoc, which reads these lines
    from cliniq_agent.text.context.engine import CLAUSE_BREAK, ContextEngine
    if not CLAUSE_BREAK.search(doc.fold, start, end):
        return None
    return ContextEngine.default().finding_clause_start(doc, start, end)


def known_format_likelihood(text: str | TextDoc) -> float:
    """Share of non-blank lines that are labelled, 0 when no clinical label (Dx/Lab/Meds/Vitals) is present."""
    doc = TextDoc.of(text)
    lines = doc.lines
    if not any(line.field in CLINICAL_FIELDS for line in lines):
        return 0.0
    nonblank = sum(1 for line in doc.text.splitlines() if line.strip())
    return len(lines) / max(nonblank, 1)
