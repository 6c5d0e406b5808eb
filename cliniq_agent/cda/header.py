"""Header facts: the patient (recordTarget/patientRole) and the encounter (componentOf + encounters section)."""

from __future__ import annotations

from dataclasses import dataclass

from cliniq_agent.cda.codes import read_coded
from cliniq_agent.cda.doc_state import ParseContext, SectionRef
from cliniq_agent.cda.rules import EntryRule
from cliniq_agent.cda.narrative import render_lines
from cliniq_agent.cda.elements import CDA, Element, attr, child, children, iso_date, normalize_space, time_bounds
from cliniq_agent.core.schema import Condition, Encounter, Evidence, Patient, Tier

_SKIP_GIVEN_QUALIFIERS = ("IN", "CL")  # initials, call-me names
_HOME_USES = ("H", "HP", "HV")
_REASON_KINDS = ("reason_for_visit", "chief_complaint_and_reason", "chief_complaint")


def _first(ctx: ParseContext, key: str, el: Element | None = None) -> Element | None:
    found = ctx.kb.xpath(ctx.kb.header_xpaths[key])(ctx.root if el is None else el)
    return found[0] if found else None


def person_name(names: list[Element]) -> str | None:
    """Legal (or first usable) name as 'given(s) family'; initials and call-me names left out."""
    usable = [n for n in names if attr(n, "nullFlavor") is None]
    usable.sort(key=lambda n: 0 if (attr(n, "use") or "L").split()[0] in ("L", "C") else 1)
    for name in usable:
        given = [
            normalize_space(g.text)
            for g in children(name, "given")
            if not any(q in (attr(g, "qualifier") or "").split() for q in _SKIP_GIVEN_QUALIFIERS)
        ]
        family = [normalize_space(f.text) for f in children(name, "family")]
        parts = [p for p in given + family if p]
        if parts:
            return " ".join(parts)
        text = normalize_space(name.text)
        if text:
            return text
    return None


_STREET = f"{CDA}streetAddressLine"
_ADDRESS_PARTS = frozenset(f"{CDA}{name}" for name in ("city", "state", "postalCode", "country"))


def one_line_address(addr: Element | None) -> str | None:
    """'street, city, state postal, country' of an <addr>: every street line, the first of each other part (one
    scan of its children; a practitioner's address is read for every mention)."""
    if addr is None or attr(addr, "nullFlavor"):
        return None
    street: list[str | None] = []
    first: dict[str, str | None] = {}
    for sub in addr:
        tag = sub.tag
        if tag == _STREET:
            street.append(normalize_space(sub.text))
        elif tag in _ADDRESS_PARTS and tag not in first:
            first[tag] = normalize_space(sub.text)
    city, state, postal, country = (first.get(f"{CDA}{name}") for name in ("city", "state", "postalCode", "country"))
    region = " ".join(p for p in (state, postal) if p) or None
    parts = [p for p in [*street, city, region, country] if p]
    return ", ".join(parts) or None


def _demographic(el: Element | None, ctx: ParseContext, what: str) -> str | None:
    if el is None or attr(el, "nullFlavor"):
        return None
    coded = read_coded(el, ctx)
    if coded.name:
        return coded.name
    if coded.code and coded.code in ctx.kb.race_ethnicity:
        return ctx.kb.race_ethnicity[coded.code]
    if coded.code:
        ctx.note(f"patient {what} code {coded.code} has no display name and is not in the OMB table", el)
    return None


def read_patient(ctx: ParseContext) -> Patient:
    role = _first(ctx, "patient_role")
    if role is None:
        ctx.note("document has no recordTarget/patientRole: no patient demographics")
        return Patient()
    patient = child(role, "patient")
    gender_el = child(patient, "administrativeGenderCode")
    gender_code = attr(gender_el, "code")
    gender = ctx.kb.gender.get(gender_code.upper(), gender_code) if gender_code else None
    if gender_code and gender_code.upper() not in ctx.kb.gender:
        ctx.note(f"administrativeGenderCode {gender_code!r} reported as given", gender_el)
    birth = attr(child(patient, "birthTime"), "value")
    dob = iso_date(birth)
    if birth and dob is None:
        ctx.note(f"birthTime {birth!r} is not an HL7 date", child(patient, "birthTime"))
    addresses = children(role, "addr")
    home = next((a for a in addresses if set((attr(a, "use") or "").split()) & set(_HOME_USES)), None)
    address = one_line_address(home) or next((line for line in map(one_line_address, addresses) if line), None)
    phones = [attr(t, "value") for t in children(role, "telecom")]
    phone = next((p[4:].strip() for p in phones if p and p.lower().startswith("tel:")), None)
    name = person_name(children(patient, "name"))
    return Patient(
        name=name,
        gender=gender,
        dob=dob,
        race=_demographic(child(patient, "raceCode"), ctx, "race"),
        ethnicity=_demographic(child(patient, "ethnicGroupCode"), ctx, "ethnicity"),
        address=address,
        phone=phone,
        evidence=[Evidence(tier=Tier.CDA_ENTRY, locator=ctx.locator(role), text=name, rule="header-patient-role")],
    )


@dataclass(frozen=True)
class EncounterActivity:
    """An Encounter Activity entry (encounters section): header fallback for dates and type."""

    start: str | None
    end: str | None
    type: str | None
    evidence: Evidence


def extract_encounter_activity(el: Element, rule: EntryRule, section: SectionRef | None, ctx: ParseContext) -> EncounterActivity:
    start, end = time_bounds(child(el, "effectiveTime"))
    code = child(el, "code")
    kind = read_coded(code, ctx).name if code is not None else None
    return EncounterActivity(start, end, kind, ctx.evidence(el, rule, kind))


def read_encounter(ctx: ParseContext, activities: list[EncounterActivity], conditions: list[Condition]) -> Encounter:
    enc = _first(ctx, "encompassing_encounter")
    evidence: list[Evidence] = []
    start = end = kind = None
    scope = enc if enc is not None else ctx.root
    facility = next((normalize_space(n.text) for n in _all(ctx, "facility_names", scope) if normalize_space(n.text)), None)
    facility_id = attr(next(iter(_all(ctx, "facility_ids", scope)), None), "extension")
    if enc is not None:
        start, end = time_bounds(child(enc, "effectiveTime"))
        code = child(enc, "code")
        kind = read_coded(code, ctx).name if code is not None else None
        evidence.append(Evidence(tier=Tier.CDA_ENTRY, locator=ctx.locator(enc), text=kind, rule="header-encompassing-encounter"))
    else:
        ctx.note("document has no componentOf/encompassingEncounter")
    for activity in activities:
        if start is None and activity.start:
            start, end = activity.start, activity.end
            evidence.append(activity.evidence)
        if kind is None and activity.type:
            kind = activity.type
            if activity.evidence not in evidence:
                evidence.append(activity.evidence)
    reason = _reason_text(ctx, evidence)
    if reason is None:
        diagnoses = [c for c in conditions if c.assertion.asserted and any(e.rule == "ccda-encounter-diagnosis" for e in c.evidence)]
        names = list(dict.fromkeys(c.name for c in diagnoses if c.name))
        if names:
            reason = "; ".join(names)
            evidence.extend(e for c in diagnoses for e in c.evidence if e.rule == "ccda-encounter-diagnosis")
    return Encounter(date=start, end=end, type=kind, facility=facility, facility_id=facility_id, reason=reason, evidence=evidence)


def _reason_text(ctx: ParseContext, evidence: list[Evidence]) -> str | None:
    """Reason-for-visit (else chief complaint) narrative, table headers left out."""
    ordered = sorted(ctx.sections.values(), key=lambda ref: ref.index)
    for wanted in _REASON_KINDS:
        for ref in ordered:
            if ref.kind != wanted or attr(ref.element, "nullFlavor"):
                continue
            lines = render_lines(child(ref.element, "text"), headers=False)
            lines = [line for line in lines if not ctx.kb.is_null_phrase(line)]
            if lines:
                reason = "; ".join(lines)
                evidence.append(Evidence(tier=Tier.CDA_NARRATIVE, locator=ctx.locator(ref.element), text=reason, rule=f"section-{wanted}"))
                return reason
    return None


def _all(ctx: ParseContext, key: str, el: Element) -> list[Element]:
    found: list[Element] = []
    for expr in ctx.kb.header_xpaths[key]:
        found.extend(ctx.kb.xpath(expr)(el))
    return found
