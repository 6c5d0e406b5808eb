"""Social history: pregnancy status, estimated delivery date, travel history, occupation."""

from __future__ import annotations

from dataclasses import dataclass

from cliniq_agent.cda.codes import original_text, read_coded
from cliniq_agent.cda.doc_state import ParseContext, SectionRef
from cliniq_agent.cda.header import one_line_address
from cliniq_agent.cda.rules import EntryRule
from cliniq_agent.cda.elements import Element, attr, child, children, is_true, iso_date, time_bounds, xsi_type
from cliniq_agent.core.schema import Evidence, Travel


@dataclass(frozen=True)
class SocialFact:
    """One social-history fact; the record builder folds these into schema.Social."""

    field: str  # "pregnant" | "pregnancy_due" | "occupation"
    value: bool | str
    evidence: Evidence


def extract_pregnancy(el: Element, rule: EntryRule, section: SectionRef | None, ctx: ParseContext) -> SocialFact | None:
    value = child(el, "value")
    if value is None:
        ctx.note("pregnancy observation without a value skipped", el)
        return None
    coded = read_coded(value, ctx)
    pregnant: bool | None = None
    for coding in coded.codings():
        if coding.system == "snomed" and coding.code in ctx.kb.pregnancy_value:
            pregnant = ctx.kb.pregnancy_value[coding.code]
            break
        if coding.system == "snomed" and coding.code in ctx.kb.pregnancy_unknown:
            ctx.note(f"pregnancy status {ctx.kb.pregnancy_unknown[coding.code]!r}: left unknown", el)
            return None
    if pregnant is None:
        ctx.note(f"pregnancy observation value {coded.code or coded.name!r} not in the pregnancy table: left unknown", el)
        return None
    if is_true(el.get("negationInd")):
        pregnant = not pregnant if pregnant else None
        if pregnant is None:
            ctx.note("negated 'not pregnant' observation: left unknown", el)
            return None
    return SocialFact("pregnant", pregnant, ctx.evidence(el, rule, coded.name))


def extract_delivery_date(el: Element, rule: EntryRule, section: SectionRef | None, ctx: ParseContext) -> SocialFact | None:
    value = child(el, "value")
    stamp = iso_date(attr(value, "value")) if value is not None and xsi_type(value) in (None, "TS") else None
    if stamp is None:
        ctx.note("estimated delivery date observation without a TS value skipped", el)
        return None
    return SocialFact("pregnancy_due", stamp, ctx.evidence(el, rule, stamp))


def extract_occupation(el: Element, rule: EntryRule, section: SectionRef | None, ctx: ParseContext) -> SocialFact | None:
    value = child(el, "value")
    name = None
    if value is not None:
        name = read_coded(value, ctx).name if xsi_type(value) not in ("ST", "ED") else original_text(value, ctx)
    name = name or original_text(child(el, "text"), ctx)
    if name is None:
        ctx.note("occupation observation without a value skipped", el)
        return None
    return SocialFact("occupation", name, ctx.evidence(el, rule, name))


def extract_travel(el: Element, rule: EntryRule, section: SectionRef | None, ctx: ParseContext) -> Travel | None:
    places: list[str] = []
    for participant in children(el, "participant"):
        role = child(participant, "participantRole")
        code = child(role, "code")
        place = read_coded(code, ctx).name if code is not None else None
        place = place or one_line_address(child(role, "addr"))
        if place:
            places.append(place)
    text = original_text(child(el, "text"), ctx)
    start, end = time_bounds(child(el, "effectiveTime"))
    place = "; ".join(places) or text
    if place is None and start is None and end is None:
        ctx.note("travel history entry with no place and no dates skipped", el)
        return None
    return Travel(place=place, start=start, end=end, evidence=[ctx.evidence(el, rule, text or place)])
