"""Result observations -> Lab drafts, lab orders -> planned Labs, vital sign observations -> Vitals.

Each reads its entry's children once (elements.first_children) and finds code, value, statusCode, effectiveTime
and interpretationCode there, and whether a status or specimen path can start from it, rather than by a child
lookup each: a result observation is read for nine of its children, twenty results an eICR.
"""

from __future__ import annotations

from cliniq_agent.cda.codes import Coded, ObsValue, codes_of, differing_text, read_coded, read_value
from cliniq_agent.cda.doc_state import ParseContext, SectionRef
from cliniq_agent.cda.rules import EntryRule
from cliniq_agent.cda.elements import CDA, Element, attr, child, first_children, time_bounds
from cliniq_agent.core.schema import Assertion, Lab, Vital


_CODE, _VALUE, _STATUS, _TIME, _INTERPRETATION = (
    f"{CDA}{name}" for name in ("code", "value", "statusCode", "effectiveTime", "interpretationCode"))


def _test(kids: dict, ctx: ParseContext) -> tuple[Coded | None, str | None, str | None]:
    """(coded test, LOINC, test name) of an observation's <code>; structural LOINC codes are refused.

    The name comes from the code only (displayName / originalText / a translation): the entry's own
    <text> is its narrative (often a comment or "Ordered by ..."), not the name of a test.
    """
    code = kids.get(_CODE)
    if code is None:
        return None, None, None
    coded = read_coded(code, ctx)
    loinc_coding = coded.find("loinc")
    loinc = loinc_coding.code if loinc_coding else None
    if loinc and ctx.kb.is_artefact("loinc", loinc):
        ctx.note(f"LOINC {loinc} is a section/document/panel-type code, not a test: not used as the lab code", code)
        loinc = None
    return coded, loinc, coded.name


def _systems(coded: Coded | None) -> str:
    systems = sorted({c.system for c in coded.codings() if c.code and c.system}) if coded else []
    return ", ".join(systems) or "uncoded"


def _date(kids: dict, organizer: Element | None) -> str | None:
    start, _ = time_bounds(kids.get(_TIME))
    if start is None and organizer is not None:
        start, _ = time_bounds(child(organizer, "effectiveTime"))
    return start


def _interpretation(kids: dict, ctx: ParseContext) -> str | None:
    interp = kids.get(_INTERPRETATION)
    if interp is None:
        return None
    code = attr(interp, "code")
    if code and code in ctx.kb.interpretation:
        return ctx.kb.interpretation[code]
    label = read_coded(interp, ctx).name or code
    return label.lower() if label else None


def _specimen(el: Element, kids: dict, organizer: Element | None, ctx: ParseContext) -> str | None:
    candidates = ctx.xpath("specimen_on_observation", el) if ctx.may_select("specimen_on_observation", kids) else []
    if not candidates and organizer is not None:
        candidates = ctx.xpath("specimen_on_organizer", organizer)
    for code in candidates:
        name = read_coded(code, ctx).name
        if name:
            return name
    return None


def _result_status(el: Element, kids: dict, organizer: Element | None, ctx: ParseContext) -> str | None:
    """Laboratory (Observation) Result Status (ID) when present, else the statusCode."""
    own = ctx.first("observation_result_status", el) if ctx.may_select("observation_result_status", kids) else None
    for value in (own,
                  ctx.first("organizer_result_status", organizer) if organizer is not None else None):
        code = attr(value, "code")
        if code and code in ctx.kb.result_status_v2:
            return ctx.kb.result_status_v2[code]
    code = attr(kids.get(_STATUS), "code")
    return ctx.kb.result_status_act.get(code) if code else None


def extract_lab_result(el: Element, rule: EntryRule, section: SectionRef | None, ctx: ParseContext) -> Lab | Vital | None:
    kids = first_children(el)
    skip = ctx.skip_reason(el, kids)
    if skip:
        ctx.note(f"result observation skipped: {skip}", el)
        return None
    coded, loinc, name = _test(kids, ctx)
    if loinc in ctx.kb.vitals:  # a vital sign filed as a result (body temperature in Results): report it as a vital
        return extract_vital(el, rule, section, ctx)
    if loinc is None and name is None:
        ctx.note(f"result observation with no LOINC code and no test name ({_systems(coded)}) skipped", el)
        return None
    if loinc is None:
        ctx.note(f"lab {name!r} has no LOINC code ({_systems(coded)})", el)
    organizer = ctx.first("result_organizer", el)
    value_el = kids.get(_VALUE)
    value: ObsValue | None = read_value(value_el, ctx) if value_el is not None else None
    result_code = None
    if value is not None and value.coded is not None:
        snomed = value.coded.find("snomed")
        result_code = snomed.code if snomed else None
    return Lab(
        name=name,
        loinc=loinc,
        result=value.result if value else None,
        result_code=result_code,
        value=value.value if value else None,
        unit=value.unit if value else None,
        interpretation=_interpretation(kids, ctx),
        specimen=_specimen(el, kids, organizer, ctx),
        date=_date(kids, organizer),
        status=_result_status(el, kids, organizer, ctx),
        assertion=ctx.assertion(el, section),
        evidence=[ctx.evidence(el, rule, name)],
        translations=codes_of(coded, ctx, held=(("loinc", loinc),)),
        original_text=differing_text(coded, name),
        result_translations=codes_of(value.coded if value else None, ctx, held=(("snomed", result_code),)),
    )


def extract_lab_order(el: Element, rule: EntryRule, section: SectionRef | None, ctx: ParseContext) -> Lab | None:
    """An ordered test (eICR Lab Test Order, C-CDA Planned Observation in LOINC): a planned Lab."""
    kids = first_children(el)
    skip = ctx.skip_reason(el, kids)
    if skip:
        ctx.note(f"planned observation skipped: {skip}", el)
        return None
    coded, loinc, name = _test(kids, ctx)
    if loinc is None:
        if name is None or (coded is not None and coded.find("snomed") is not None):
            # SNOMED-coded planned observations are procedures / regimes (e.g. ventilator care)
            ctx.note(f"planned observation {name!r} is not a lab order (no LOINC code; {_systems(coded)}): skipped", el)
            return None
        ctx.note(f"lab order {name!r} kept by name: no LOINC code ({_systems(coded)})", el)
    assertion = ctx.assertion(el, section)
    if assertion is Assertion.PRESENT:
        assertion = Assertion.PLANNED  # an order is never a result, whatever its moodCode says
    start, _ = time_bounds(kids.get(_TIME))
    return Lab(
        name=name,
        loinc=loinc,
        date=start,
        status="ordered",
        assertion=assertion,
        specimen=_specimen(el, kids, None, ctx),
        evidence=[ctx.evidence(el, rule, name)],
        translations=codes_of(coded, ctx, held=(("loinc", loinc),)),
        original_text=differing_text(coded, name),
    )


def extract_vital(el: Element, rule: EntryRule, section: SectionRef | None, ctx: ParseContext) -> Vital | None:
    kids = first_children(el)
    skip = ctx.skip_reason(el, kids)
    if skip:
        ctx.note(f"vital sign skipped: {skip}", el)
        return None
    coded, loinc, name = _test(kids, ctx)
    vital = next(
        (ctx.kb.vitals[c.code] for c in (coded.codings() if coded else ()) if c.system == "loinc" and c.code in ctx.kb.vitals),
        None,
    )
    if vital is None:
        ctx.note(f"vital sign {name!r} (LOINC {loinc}) is not one of the compact vitals: skipped", el)
        return None
    if loinc not in ctx.kb.vitals:
        loinc = next(c.code for c in coded.codings() if c.system == "loinc" and c.code in ctx.kb.vitals)
    value_el = kids.get(_VALUE)
    value = read_value(value_el, ctx) if value_el is not None else None
    if value is None:
        ctx.note(f"vital sign {vital} has no value: skipped", el)
        return None
    organizer = ctx.first("result_organizer", el)
    return Vital(
        name=vital,
        value=value.value or value.result,
        unit=value.unit,
        loinc=loinc,
        date=_date(kids, organizer),
        assertion=ctx.assertion(el, section),
        evidence=[ctx.evidence(el, rule, name)],
        translations=codes_of(coded, ctx, held=(("loinc", loinc),)),
        original_text=differing_text(coded, name),
    )
