"""Problem / diagnosis observations -> Condition drafts.

The finding is in <value> (CD), not <code>: code carries the problem *type* (282291009 Diagnosis,
55607006 Problem ...), which is never a finding. The value may be ICD-10-CM with a SNOMED
<translation> or the reverse; both are kept.
"""

from __future__ import annotations

from cliniq_agent.cda.codes import Coded, codes_of, differing_text, original_text, read_coded
from cliniq_agent.cda.doc_state import ParseContext, SectionRef
from cliniq_agent.cda.rules import EntryRule
from cliniq_agent.cda.elements import CDA, Element, attr, child, first_children, time_bounds, xsi_type
from cliniq_agent.core.schema import Assertion, Condition


_TEXT, _TIME = f"{CDA}text", f"{CDA}effectiveTime"


def extract_condition(el: Element, rule: EntryRule, section: SectionRef | None, ctx: ParseContext) -> Condition | None:
    kids = first_children(el)  # its children read once (see results.py)
    skip = ctx.skip_reason(el, kids)
    if skip:
        ctx.note(f"problem observation skipped: {skip}", el)
        return None
    assertion = ctx.assertion(el, section)
    value = kids.get(CDA + rule.finding)  # "value" (C-CDA Problem Observation) or "code" (tier-3 fallback)
    coded = read_coded(value, ctx) if value is not None and xsi_type(value) not in ("ST", "ED") else None
    snomed, icd10, dropped = _codes(coded, ctx)
    name = coded.name if coded is not None else None
    if name is None and value is not None and coded is None:
        name = original_text(value, ctx)  # ST / ED value: the problem as text
    if name is None:
        name = original_text(kids.get(_TEXT), ctx)
    if snomed is None and icd10 is None and dropped and assertion is Assertion.NEGATED:
        # C-CDA: negationInd="true" on a problem-type value (64572001 Disease ...) = "no known problems"
        ctx.note(f"negated problem observation with placeholder value {dropped} (no known problems); nothing to report", el)
        return None
    if snomed is None and icd10 is None:
        if name is None:
            if assertion is Assertion.NEGATED:
                ctx.note("negated problem observation without a specific problem (no known problems); nothing to report", el)
            else:
                ctx.note("problem observation with no usable code and no name skipped", el)
            return None
        why = f"its value code {dropped} is a problem-type placeholder" if dropped else _no_code_reason(coded)
        ctx.note(f"condition {name!r} kept by name only: {why}", el)
    onset, resolved = time_bounds(kids.get(_TIME))
    if assertion is Assertion.PRESENT and _before_encounter(resolved, ctx):
        ctx.note(f"problem {name!r} resolved {resolved[:10]}, before this encounter began: past history", el)
        assertion = Assertion.HISTORICAL
    return Condition(
        name=name,
        snomed=snomed,
        icd10=icd10,
        onset=onset,
        status=rule.status or _status(el, kids, ctx),
        assertion=assertion,
        evidence=[ctx.evidence(el, rule, name)],
        translations=codes_of(coded, ctx, held=(("snomed", snomed), ("icd10", icd10))),
        original_text=differing_text(coded, name),
    )


def _before_encounter(resolved: str | None, ctx: ParseContext) -> bool:
    """C-CDA Problem Observation effectiveTime/high is the date the problem resolved (CONF:1198-15605); one that
    resolved before the encompassing encounter began is past history, not this visit's finding. A high with only
    a nullFlavor (vendors send <high nullFlavor="UNK"/> on active problems) or no encounter date decides nothing."""
    if not resolved:
        return False
    start = ctx.encounter_start()
    return bool(start) and resolved[:10] < start[:10]


def _codes(coded: Coded | None, ctx: ParseContext) -> tuple[str | None, str | None, str | None]:
    """(snomed, icd10, artefact code dropped) from the value and its translations."""
    snomed = icd10 = dropped = None
    if coded is None:
        return None, None, None
    for coding in coded.codings():
        if not coding.code:
            continue
        if ctx.kb.is_artefact(coding.system, coding.code):
            dropped = dropped or coding.code
            continue
        if coding.system == "snomed" and snomed is None:
            snomed = coding.code
        elif coding.system == "icd10" and icd10 is None:
            icd10 = coding.code
    return snomed, icd10, dropped


def _no_code_reason(coded: Coded | None) -> str:
    if coded is None:
        return "the value is not coded"
    systems = sorted({c.system for c in coded.codings() if c.code and c.system})
    if systems:
        return f"no SNOMED CT / ICD-10-CM code (only {', '.join(systems)})"
    if coded.null_flavor:
        return f"value nullFlavor {coded.null_flavor}"
    return "no code given"


def _status(el: Element, kids: dict, ctx: ParseContext) -> str | None:
    """Problem Status observation, else the Problem Concern Act status, else effectiveTime/high
    (C-CDA: a resolved problem has a high, nullFlavor UNK when the date is unknown)."""
    status_value = ctx.first("problem_status_value", el) if ctx.may_select("problem_status_value", kids) else None
    if status_value is not None:
        code = attr(status_value, "code")
        if code and code in ctx.kb.problem_status_snomed:
            return ctx.kb.problem_status_snomed[code]
        name = attr(status_value, "displayName")
        if name:
            return name.lower()
    concern = ctx.first("concern_act", el)
    if concern is not None:
        code = attr(child(concern, "statusCode"), "code")
        if code and code in ctx.kb.concern_status_act:
            return ctx.kb.concern_status_act[code]
    high = child(kids.get(_TIME), "high")
    if high is not None and (attr(high, "value") or attr(high, "nullFlavor") == "UNK"):
        return "resolved"
    return None
