"""The review page of one run, as data: the source with every piece of evidence placed in it, the record,
the excluded mentions, reportability, and the node timeline with the agent's candidates — all read from
the stored trace (``RunTrace``), never by extracting again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import regex
from markupsafe import Markup

from cliniq_agent.review.cda_view import CdaView, build_cda_view
from cliniq_agent.review.highlight import Mark, highlight, locate
from cliniq_agent.review.rows import TIER_LABELS, EvidenceView, Keys, Row, excluded_rows, record_rows
from cliniq_agent.core.schema import CompactRecord
from cliniq_agent.trace.store import RunTrace

_ITEM_REF = regex.compile(r"^(conditions|labs|meds|vitals|immunizations)\[(\d+)\]")


@dataclass
class CandidateView:
    """A phrase the agent considered: its index hits, what it decided and why, and any model turns."""

    producer: str
    evidence: EvidenceView
    kind: str
    phrase: str
    cue: str | None
    hits: list[dict[str, Any]]
    chosen: dict[str, Any] | None
    decided_by: str | None
    verdict: str | None
    turns: list[dict[str, Any]]


@dataclass
class StepView:
    node: str
    ms: float
    share: float                 # of the run's node time, 0..100, for the bar
    summary: str
    notes: list[tuple[str, list[str]]] = field(default_factory=list)   # (producer, notes)
    candidates: list[CandidateView] = field(default_factory=list)


@dataclass
class TriggerView:
    system: str
    code: str
    display: str | None
    source: str | None
    row_id: str | None           # the record row the trigger came from, when it names one


@dataclass
class ReportableView:
    name: str
    snomed: str
    confidence: float
    triggers: list[TriggerView]
    in_rr: bool | None = None    # the RR given with the run names this condition too (None: no RR given)


@dataclass
class ReviewPage:
    trace: RunTrace
    source_mode: Literal["text", "cda", "missing"]
    source_html: Markup | None
    cda: CdaView | None
    section_html: dict[str, Markup]
    groups: list[tuple[str, list[Row], bool]]
    excluded: list[Row]
    reportable: list[ReportableView]
    below_threshold: list[ReportableView]
    skipped: list[dict[str, Any]]
    rr_conditions: list[ReportableView]
    rr_name: str | None          # the RR read with this eICR (a separate run), when one was given
    doc_kind: str | None
    steps: list[StepView]
    unlocated: int
    tiers: list[tuple[str, str]]  # (css key, label) of the tiers on this page, for the legend


def build_page(trace: RunTrace, rr: RunTrace | None = None) -> ReviewPage:
    """The page of ``trace``; ``rr``: the run of the Reportability Response that came with it, if any."""
    keys = Keys()
    groups = record_rows(trace.record or {}, keys)
    excluded = excluded_rows(trace.excluded, keys)
    steps, cda_info, reportability = _steps(trace, Keys("c"))
    placements: list[tuple[EvidenceView, str, str]] = []
    for _, rows, _ in groups:
        placements += [(e, f"tier-{e.tier}", _title(row, e)) for row in rows for e in row.evidence]
    placements += [(e, f"tier-{e.tier} excluded", _title(row, e) + f"\nexcluded: {row.reason}")
                   for row in excluded for e in row.evidence]
    placements += [(c.evidence, "candidate", f"agent candidate '{c.phrase}': {c.verdict or ''}")
                   for step in steps for c in step.candidates]
    text, mode = trace.source_text, "missing"
    source_html, view, section_html = None, None, {}
    if text is not None and trace.format == "cda":
        kinds = {s.get("xpath"): s.get("kind") for s in cda_info.get("sections") or [] if isinstance(s, dict)}
        view = build_cda_view(text, name=trace.source_name or "document",
                              recover=bool(trace.options.get("recover_xml")), kinds=kinds)
    if view is not None:
        mode, section_html = "cda", _place_cda(view, placements)
    elif text is not None:
        mode, source_html = "text", _place_text(text, placements)
    record = trace.record or {}
    row_ids = {f"{name}[{i}]": f"row-{name}-{i}" for name in CompactRecord.ITEM_LISTS
               for i in range(len(record.get(name) or []))}
    tiers_seen = dict.fromkeys(e.tier for e, _, _ in placements)
    rr_conditions = [_reportable(r, {}) for r in cda_info.get("rr_conditions") or []]
    reportable = [_reportable(r, row_ids) for r in record.get("reportable") or []]
    from cliniq_agent.rrcheck.groups import condition_groups
    from cliniq_agent.rrcheck.render import rr_check_of

    group = condition_groups().group  # the RR may name the condition by another code of its group
    check = rr_check_of(trace.steps) if rr is None else None  # the run was cross-checked (run --rr, batch pairs)
    if check is not None:
        rr_conditions = [_reportable({"name": i.group_name or i.group, "snomed": " / ".join(i.rr_codes),
                                      "confidence": max((1.0 if d.code == "RRVS1" else 0.5) for d in i.determinations
                                                        if d.found)}, {})
                         for i in check.items if i.status in ("both", "rr_only")]
        for item in reportable:
            item.in_rr = any(i.status == "both" and i.group == group(item.snomed) for i in check.items)
    if rr is not None:
        rr_conditions = [_reportable(r, {}) for r in _steps(rr, Keys("r"))[1].get("rr_conditions") or []]
        named = {group(c.snomed) for c in rr_conditions}
        for item in reportable:
            item.in_rr = group(item.snomed) in named
    return ReviewPage(
        trace=trace, source_mode=mode, source_html=source_html, cda=view, section_html=section_html,
        groups=groups, excluded=excluded,
        reportable=reportable,
        below_threshold=[_reportable(r, row_ids) for r in reportability.get("below_threshold") or []],
        skipped=list(reportability.get("skipped") or []),
        rr_conditions=rr_conditions,
        rr_name=(rr.source_name or rr.run_id) if rr is not None else (check.rr_source if check is not None else None),
        doc_kind=cda_info.get("doc_kind"), steps=steps,
        unlocated=sum(1 for e, _, _ in placements if not e.located),
        tiers=[(t, TIER_LABELS.get(t, t)) for t in tiers_seen],
    )


def _title(row: Row, evidence: EvidenceView) -> str:
    return f"{row.label} — {evidence.tier_label}" + (f" [{evidence.rule}]" if evidence.rule else "")


def _place_text(text: str, placements: list[tuple[EvidenceView, str, str]]) -> Markup:
    marks = []
    for evidence, css, title in placements:
        span, searched = locate(text, evidence.span, evidence.text)
        if span is not None:
            evidence.located, evidence.searched = True, searched
            marks.append(Mark(span[0], span[1], evidence.key, css + (" searched" if searched else ""), title))
    return highlight(text, marks)


def _place_cda(view: CdaView, placements: list[tuple[EvidenceView, str, str]]) -> dict[str, Markup]:
    """Narrative evidence (a section XPath and a span in its rendered text) becomes a mark in that section;
    entry evidence (an XPath inside an entry or a header element) is attached to that block."""
    marks: dict[str, list[Mark]] = {}
    for evidence, css, title in placements:
        if not evidence.locator:
            continue
        section = view.section_at(evidence.locator)
        if section is not None and (evidence.span or evidence.text):
            span, searched = locate(section.narrative, evidence.span, evidence.text)
            if span is not None:
                evidence.located, evidence.searched = True, searched
                evidence.place = f"{section.title} narrative, chars {span[0]}–{span[1]}"
                marks.setdefault(section.locator, []).append(
                    Mark(span[0], span[1], evidence.key, css + (" searched" if searched else ""), title))
                continue
        if section is not None:  # words the stage put together from several lines: point at the section
            evidence.located, evidence.place = True, f"{section.title} (the section as a whole)"
            section.keys.append(evidence.key)
            section.css.append(css)
            continue
        block = view.block_for(evidence.locator)
        if block is not None:
            evidence.located, evidence.place = True, block.place
            evidence.inside = evidence.locator[len(block.locator):].lstrip("/").replace("cda:", "") or None
            block.keys.append(evidence.key)
            block.css.append(css)
    view.header = [block for block in view.header if block.keys]
    return {section.locator: highlight(section.narrative, marks.get(section.locator, [])) for section in view.sections}


def _steps(trace: RunTrace, keys: Keys) -> tuple[list[StepView], dict[str, Any], dict[str, Any]]:
    total = sum(step.duration_ms for step in trace.steps) or 1.0
    views, cda_info, reportability = [], {}, {}
    for step in trace.steps:
        view = StepView(node=step.node, ms=step.duration_ms, share=round(100 * step.duration_ms / total, 2),
                        summary=step.summary)
        for name, value in step.outputs.items():
            kind, _, producer = name.partition(":")
            if kind == "notes" and isinstance(value, list):
                view.notes.append((producer, [str(v) for v in value]))
            elif kind == "candidates" and isinstance(value, list):
                view.candidates += [_candidate(producer, c, keys) for c in value if isinstance(c, dict)]
        if isinstance(step.outputs.get("cda"), dict):
            cda_info = step.outputs["cda"]
        if isinstance(step.outputs.get("reportability"), dict):
            reportability = step.outputs["reportability"]
        views.append(view)
    return views, cda_info, reportability


def _candidate(producer: str, data: dict[str, Any], keys: Keys) -> CandidateView:
    evidence = EvidenceView(key=keys(), tier="candidate", locator=data.get("locator"), span=data.get("span"),
                            text=data.get("phrase"), rule=data.get("cue"), score=None)
    return CandidateView(producer=producer, evidence=evidence, kind=str(data.get("kind")),
                         phrase=str(data.get("phrase")), cue=data.get("cue"), hits=list(data.get("hits") or []),
                         chosen=data.get("chosen"), decided_by=data.get("decided_by"), verdict=data.get("verdict"),
                         turns=list(data.get("turns") or []))


def _reportable(data: dict[str, Any], row_ids: dict[str, str]) -> ReportableView:
    triggers = []
    for trigger in data.get("triggers") or []:
        ref = _ITEM_REF.match(str(trigger.get("source") or ""))
        triggers.append(TriggerView(system=str(trigger.get("system")), code=str(trigger.get("code")),
                                    display=trigger.get("display"), source=trigger.get("source"),
                                    row_id=row_ids.get(ref.group(0)) if ref else None))
    return ReportableView(name=str(data.get("name")), snomed=str(data.get("snomed")),
                          confidence=float(data.get("confidence") or 0.0), triggers=triggers)
