"""Allergy - Intolerance Observations -> Allergy items.

The substance is the consumable participant's playingEntity code (RxNorm, UNII, SNOMED CT, NDF-RT …); the
observation's value says the allergy type (drug / food / environmental allergy, intolerance). A negated
observation means two different things: with a substance, "not allergic to X" (a refuted allergy, kept
out of the record like any negated mention); without one (participant code nullFlavor), "no known
(drug/food) allergy", which is a fact worth stating and gets the SNOMED CT no-known-allergy code.
"""

from __future__ import annotations

from cliniq_agent.cda.act_codes import act_codes, entry_id
from cliniq_agent.cda.act_rules import ActKb, ActRule
from cliniq_agent.cda.codes import read_coded
from cliniq_agent.cda.doc_state import ParseContext, SectionRef
from cliniq_agent.cda.elements import Element, attr, child, is_true, normalize_space, time_bounds
from cliniq_agent.core.schema import Allergy, Assertion, Code


def _first(akb: ActKb, name: str, el: Element) -> Element | None:
    found = akb.xpath(name)(el)
    return found[0] if found else None


def _status(el: Element, akb: ActKb, ctx: ParseContext) -> str | None:
    """Allergy Status Observation value, else the Allergy Concern Act statusCode (active / completed …)."""
    value = _first(akb, "allergy_status_value", el)
    code = attr(value, "code")
    if code and code in ctx.kb.problem_status_snomed:
        return ctx.kb.problem_status_snomed[code]
    concern = _first(akb, "allergy_concern_act", el)
    concern_status = attr(child(concern, "statusCode"), "code")
    return ctx.kb.concern_status_act.get(concern_status) if concern_status else None


def _reactions(el: Element, akb: ActKb, ctx: ParseContext) -> list[str]:
    names = []
    for value in akb.xpath("allergy_reaction_value")(el):
        coded = read_coded(value, ctx)
        name = coded.name or coded.code
        if name and name not in names:
            names.append(name)
    return names


def _mapped(el: Element, akb: ActKb, xpath: str, table: dict[str, str]) -> str | None:
    for value in akb.xpath(xpath)(el):
        code = attr(value, "code")
        if code and code in table:
            return table[code]
    return None


def extract_allergy(el: Element, rule: ActRule, section: SectionRef | None, ctx: ParseContext,
                    akb: ActKb) -> Allergy | None:
    skip = ctx.skip_reason(el)
    if skip:
        ctx.note(f"allergy observation skipped: {skip}", el)
        return None
    type_code = attr(child(el, "value"), "code")
    allergy_type, category = akb.allergy_type.get(type_code or "", ("", ""))
    substance = _first(akb, "allergy_substance", el)
    coded = read_coded(substance, ctx) if substance is not None else None
    codes = act_codes(coded)
    name = coded.name if coded is not None else None
    if name is None:
        material = _first(akb, "allergy_substance_name", el)
        name = normalize_space("".join(material.itertext())) if material is not None else None
    negated = is_true(el.get("negationInd"))
    fields = dict(
        type=allergy_type or None, category=category or None, status=_status(el, akb, ctx),
        onset=time_bounds(child(el, "effectiveTime"))[0], entry_id=entry_id(el),
    )
    if negated and not codes and name is None:
        code, display = akb.no_known_allergy.get(category, akb.no_known_allergy["*"])
        return Allergy(name=display, codes=[Code(system="snomed", code=code, display=display)], no_known=True,
                       evidence=[ctx.evidence(el, rule.id, display)], **fields)
    if not codes and name is None:
        ctx.note("allergy observation with no substance code and no substance name skipped", el)
        return None
    if not codes:
        ctx.note(f"allergy to {name!r} has no coded substance", el)
    assertion = ctx.assertion(el, section)
    if assertion is Assertion.PRESENT and attr(child(el, "value"), "nullFlavor") and type_code is None:
        ctx.note(f"allergy to {name!r}: allergy type not given (value nullFlavor)", el)
    return Allergy(
        name=name, codes=codes, reactions=_reactions(el, akb, ctx),
        severity=_mapped(el, akb, "allergy_severity_value", akb.allergy_severity),
        criticality=_mapped(el, akb, "allergy_criticality_value", akb.allergy_criticality),
        assertion=assertion, evidence=[ctx.evidence(el, rule.id, name)], **fields,
    )
