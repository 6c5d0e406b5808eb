"""Reportability determination: asserted codes + positive labs + eICR trigger markers -> RCTC conditions.

Evidence per item (a problem, a lab, a medication, an immunization) is weighted by kind (kb/reportability/
scoring.toml); an eICR trigger marker on the same item raises it to the trigger weight. Items combine by noisy-OR,
the condition's scope (national | jurisdictional) scales the result, the most specific condition absorbs its
generic parents, and conditions reaching the threshold become ``Reportable`` entries. Everything that pointed at a
condition but did not make it (negative lab, supporting-only evidence, unmatched trigger) is kept in the result's
``skipped`` / ``below_threshold`` for the trace.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from cliniq_agent.reportability.config import Scoring, scoring
from cliniq_agent.reportability.positivity import Positivity, classify, found_clauses
from cliniq_agent.core.schema import CompactRecord, Condition, Lab, Reportable, Trigger
from cliniq_agent.terminology import ConditionLink, TerminologyKB, fold_key, normalize_system
from cliniq_agent.terminology.text_links import LabLink
from cliniq_agent.validate.codes import check_code, normalize_code


class SkippedEvidence(BaseModel):
    """Something that pointed at a reportable condition but does not count, and why."""

    model_config = ConfigDict(extra="forbid")

    item: str
    system: str | None = None
    code: str | None = None
    condition: str | None = None
    reason: str


class ReportabilityResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reportable: list[Reportable] = Field(default_factory=list)
    below_threshold: list[Reportable] = Field(default_factory=list)
    skipped: list[SkippedEvidence] = Field(default_factory=list)


@dataclass
class _Piece:
    condition: str
    kind: str
    weight: float
    trigger: Trigger
    marker: Trigger | None = None  # the eICR's own trigger code on this item, when it differs from ``trigger``


#: Per assessment (one document): (LOINC, test name, result, result code) -> (the test's lab links, organisms named
#: in the result, whether the result is mixed: found in one clause, not found in another).
_LabLookups = dict[tuple[str | None, str | None, str | None, str | None], tuple[list[LabLink], list[LabLink], bool]]


@dataclass
class _ItemEvidence:
    key: str
    pieces: list[_Piece] = field(default_factory=list)


def determine_reportable(record: CompactRecord, triggers: list[Trigger], kb: TerminologyKB, *,
                         include_jurisdictional: bool = False,
                         min_confidence: float | None = None) -> list[Reportable]:
    """RCTC reportable conditions supported by ``record`` (asserted items only) and the eICR ``triggers``."""
    return assess_reportability(record, triggers, kb, include_jurisdictional=include_jurisdictional,
                                min_confidence=min_confidence).reportable


def assess_reportability(record: CompactRecord, triggers: list[Trigger], kb: TerminologyKB, *,
                         include_jurisdictional: bool = False,
                         min_confidence: float | None = None) -> ReportabilityResult:
    """Like :func:`determine_reportable`, with the below-threshold conditions and skipped evidence."""
    config = scoring()
    marked = _trigger_index(triggers)
    used_markers: set[tuple[str, str]] = set()
    skipped: list[SkippedEvidence] = []
    items: list[_ItemEvidence] = []
    lab_lookups: _LabLookups = {}  # this document's labs often repeat a test (panels, serial results)
    for index, condition in enumerate(record.conditions):
        if condition.assertion.asserted:
            items.append(_condition_evidence(f"conditions[{index}]", condition, kb, config, marked, used_markers,
                                             skipped))
    for index, lab in enumerate(record.labs):
        if lab.assertion.asserted:
            items.append(_lab_evidence(f"labs[{index}]", lab, kb, config, marked, used_markers, skipped,
                                       lab_lookups))
    for index, med in enumerate(record.meds):
        if med.assertion.asserted:
            items.append(_med_evidence(f"meds[{index}]", "rxnorm", med.rxnorm, med.name, kb, config))
    for index, imm in enumerate(record.immunizations):
        if imm.assertion.asserted:
            items.append(_med_evidence(f"immunizations[{index}]", "cvx", imm.cvx, imm.name, kb, config))
    for key, trigger in marked.items():
        if key not in used_markers:
            skipped.append(SkippedEvidence(item="trigger", system=key[0], code=key[1], reason=(
                "eICR trigger marker not backed by an asserted item that maps to a condition "
                "(negated / planned / negative result / unknown code)")))
    return _aggregate(items, kb, config, include_jurisdictional,
                      config.min_confidence if min_confidence is None else min_confidence, skipped)


# ------------------------------------------------------------------------------------------------ triggers
def _code_key(system: str | None, code: str | None) -> tuple[str, str] | None:
    if not system or not code or not code.strip():
        return None
    short = normalize_system(system)
    if short is None:
        return None
    return short, (normalize_code(short, code) if short == "icd10" else code.strip())


def _trigger_index(triggers: list[Trigger]) -> dict[tuple[str, str], Trigger]:
    index = {}
    for trigger in triggers:
        key = _code_key(trigger.system, trigger.code)
        if key is not None:
            index.setdefault(key, trigger)
    return index


def _marker(keys: list[tuple[str, str]], marked: dict[tuple[str, str], Trigger]) -> tuple[str, str] | None:
    return next((key for key in keys if key in marked), None)


# -------------------------------------------------------------------------------------------------- items
def _condition_evidence(key: str, item: Condition, kb: TerminologyKB, config: Scoring,
                        marked: dict[tuple[str, str], Trigger], used: set[tuple[str, str]],
                        skipped: list[SkippedEvidence]) -> _ItemEvidence:
    evidence = _ItemEvidence(key)
    codes: list[tuple[str, str]] = []
    for system, code in (("snomed", item.snomed), ("icd10", item.icd10)):
        code_key = _code_key(system, code)
        if code_key is None:
            continue
        problem = check_code(system, code_key[1])
        if problem:
            skipped.append(SkippedEvidence(item=key, system=system, code=code, reason=f"invalid code: {problem}"))
            continue
        codes.append(code_key)
    names = [item.name] if item.name else []
    for system, code in codes:
        if system == "snomed":
            condition = kb.condition(code)
            if condition is not None:
                _add(evidence, condition.snomed, "condition_code", config, system, code, item.name,
                     f"{key}: RCTC condition code")
                continue
            concept = kb.lookup("snomed", code)
            if concept is not None:
                names.append(concept.display)
        else:
            link = kb.icd10_condition(code)
            if link is not None:
                _add(evidence, link.condition, f"icd10_{link.strength}", config, system, code, item.name,
                     f"{key}: ICD-10-CM {link.via.split(':', 1)[1]} ({link.strength})")
    snomed_code = next((code for system, code in codes if system == "snomed"), None)
    code_system, code_value = ("snomed", snomed_code) if snomed_code else (codes[0] if codes else (None, None))
    for name in dict.fromkeys(names):
        for concept in kb.match_exact(name, "snomed"):
            if kb.condition(concept.code) is not None:
                _add(evidence, concept.code, "snomed_name", config, code_system, code_value, item.name,
                     f"{key}: name '{name[:50]}' is a name of the condition")
        for link in kb.dx_conditions(name):
            _add(evidence, link.condition, "dx_text", config, code_system, code_value, item.name,
                 f"{key}: '{name[:50]}' names {link.matched}")
    if getattr(item, "status", None) == "suspected" or any(config.suspected_cues.search(fold_key(name)) for name in names):
        for piece in evidence.pieces:
            piece.weight *= config.suspected
    _apply_marker(evidence, _marker(codes, marked), marked, used, config)
    _drop_generic(evidence, kb)
    return evidence


def _lab_evidence(key: str, lab: Lab, kb: TerminologyKB, config: Scoring, marked: dict[tuple[str, str], Trigger],
                  used: set[tuple[str, str]], skipped: list[SkippedEvidence], lookups: _LabLookups) -> _ItemEvidence:
    evidence = _ItemEvidence(key)
    loinc = lab.loinc.strip() if lab.loinc else None
    if loinc and check_code("loinc", loinc):
        skipped.append(SkippedEvidence(item=key, system="loinc", code=loinc,
                                       reason=f"invalid code: {check_code('loinc', loinc)}; test name used"))
        loinc = None
    found = lookups.get((loinc, lab.name, lab.result, lab.result_code))
    if found is None:  # read-only lists: a repeated test of the same document shares them
        clauses = found_clauses(lab)
        found = lookups[(loinc, lab.name, lab.result, lab.result_code)] = (
            kb.lab_links(loinc, lab.name),
            [organism for clause in clauses.texts for organism in kb.result_organisms(clause)], clauses.mixed)
    links, organisms, mixed = found
    if not links and not organisms:
        return evidence
    quantitative = any(link.row.quantitative for link in links)
    threshold = next((link.row.threshold for link in links if link.row.threshold), None)
    state, reason = classify(lab, quantitative=quantitative, threshold=threshold)
    if organisms and state is Positivity.UNKNOWN:
        state, reason = Positivity.POSITIVE, f"organism named in result '{(lab.result or '').strip()[:40]}'"
    elif organisms and state is Positivity.NEGATIVE and mixed:
        # a result that also says what was NOT found: only the organisms of its other clauses count, and the
        # test's own links stay unread (they would count the organisms the negative clauses rule out)
        state, reason = Positivity.POSITIVE, f"organism named beside a negative clause in '{lab.result.strip()[:40]}'"
        links = []
    if state is not Positivity.POSITIVE:
        for link in links or organisms:
            skipped.append(SkippedEvidence(item=key, system="loinc", code=lab.loinc, condition=link.link.condition,
                                           reason=f"result not positive ({state.value}: {reason})"))
        return evidence
    code_system, code = ("loinc", loinc) if loinc else ("loinc", lab.loinc)
    for link in links:
        kind = "lab_known" if link.name_source == "kb" else "lab_local"
        _add(evidence, link.link.condition, kind, config, code_system, code, lab.name,
             f"{key}: {reason}; test names {link.link.matched}")
    for organism in organisms:
        system, value = ("snomed", lab.result_code) if lab.result_code else (code_system, code)
        _add(evidence, organism.link.condition, "lab_result_organism", config, system, value, lab.result,
             f"{key}: result names {organism.link.matched}")
    keys = [k for k in (_code_key("loinc", lab.loinc), _code_key("snomed", lab.result_code)) if k]
    _apply_marker(evidence, _marker(keys, marked), marked, used, config)
    _drop_generic(evidence, kb)
    return evidence


def _med_evidence(key: str, system: str, code: str | None, name: str | None, kb: TerminologyKB,
                  config: Scoring) -> _ItemEvidence:
    evidence = _ItemEvidence(key)
    names = [name] if name else []
    if system == "rxnorm" and code:
        concept = kb.lookup("rxnorm", code)
        if concept is not None:
            names.append(concept.display)
    links: dict[str, ConditionLink] = {}
    for text in names or [None]:
        for link in kb.med_conditions(text, cvx=code if system == "cvx" else None):
            links.setdefault(link.condition, link)
    for link in links.values():
        _add(evidence, link.condition, f"med_{link.strength}", config, system, code, name,
             f"{key}: {'immunizing agent' if system == 'cvx' else 'medication'} {link.via.split(':', 1)[1][:40]}")
    return evidence


# ---------------------------------------------------------------------------------------------- helpers
def _add(evidence: _ItemEvidence, condition: str, kind: str, config: Scoring, system: str | None,
         code: str | None, display: str | None, source: str) -> None:
    weight = config.evidence[kind]
    for piece in evidence.pieces:
        if piece.condition == condition:
            if weight > piece.weight:
                piece.kind, piece.weight = kind, weight
                piece.trigger = Trigger(system=system or "text", code=code or "", display=display, source=source)
            return
    evidence.pieces.append(_Piece(condition, kind, weight, Trigger(system=system or "text", code=code or "",
                                                                    display=display, source=source)))


def _apply_marker(evidence: _ItemEvidence, key: tuple[str, str] | None, marked: dict[tuple[str, str], Trigger],
                  used: set[tuple[str, str]], config: Scoring) -> None:
    """The eICR flagged this item with a trigger-code template: strong evidence for what it maps to."""
    if key is None or not evidence.pieces:
        return
    used.add(key)
    weight = config.evidence["trigger_marker"]
    origin = marked[key].source or "trigger-code template"
    for piece in evidence.pieces:
        if piece.kind not in config.supporting_only:
            piece.weight = max(piece.weight, weight)
            piece.kind = "trigger_marker" if piece.weight == weight else piece.kind
        piece.trigger = piece.trigger.model_copy(update={"source": f"{piece.trigger.source} + eICR {origin}"})
        if (piece.trigger.system, piece.trigger.code) != key:
            piece.marker = Trigger(system=key[0], code=key[1], display=marked[key].display or piece.trigger.display,
                                   source=f"eICR {origin}")


def _drop_generic(evidence: _ItemEvidence, kb: TerminologyKB) -> None:
    """Within one item, a catch-all condition (meningitis, ...) yields to any specific one it also matched."""
    specific = [p for p in evidence.pieces if not _generic(kb, p.condition)]
    if specific:
        evidence.pieces = specific


def _generic(kb: TerminologyKB, snomed: str) -> bool:
    condition = kb.condition(snomed)
    return bool(condition and condition.generic)


def _ancestors(kb: TerminologyKB, snomed: str) -> list[str]:
    chain, current = [], kb.condition(snomed)
    while current is not None and current.parent and current.parent not in chain:
        chain.append(current.parent)
        current = kb.condition(current.parent)
    return chain


def _aggregate(items: list[_ItemEvidence], kb: TerminologyKB, config: Scoring, include_jurisdictional: bool,
               threshold: float, skipped: list[SkippedEvidence]) -> ReportabilityResult:
    by_condition: dict[str, list[_Piece]] = defaultdict(list)
    for item in items:
        for piece in item.pieces:
            by_condition[piece.condition].append(piece)
    for snomed in list(by_condition):  # the most specific condition absorbs its generic ancestors' evidence
        for ancestor in _ancestors(kb, snomed):
            if ancestor in by_condition and snomed in by_condition:
                by_condition[snomed].extend(by_condition.pop(ancestor))
    result = ReportabilityResult(skipped=skipped)
    for snomed, pieces in by_condition.items():
        condition = kb.condition(snomed)
        if condition is None:
            continue
        miss = 1.0
        for piece in pieces:
            miss *= 1.0 - piece.weight
        scope = 1.0 if include_jurisdictional else config.scope[condition.scope]
        confidence = round((1.0 - miss) * scope, 3)
        found = [t for p in pieces for t in (p.trigger, p.marker) if t is not None]
        triggers: list[Trigger] = []
        for trigger in found:
            if all((t.system, t.code) != (trigger.system, trigger.code) for t in triggers):
                triggers.append(trigger)
        entry = Reportable(name=condition.name, snomed=snomed, triggers=triggers, confidence=confidence)
        supporting_only = all(piece.kind in config.supporting_only for piece in pieces)
        if confidence >= threshold and not supporting_only:
            result.reportable.append(entry)
        else:
            result.below_threshold.append(entry)
    result.reportable.sort(key=lambda r: (-r.confidence, r.name))
    result.below_threshold.sort(key=lambda r: (-r.confidence, r.name))
    return result
