"""substanceAdministration entries -> Med drafts (Medication Activity) and Immunization drafts."""

from __future__ import annotations

from cliniq_agent.cda.codes import Coded, codes_of, differing_text, original_text, read_coded
from cliniq_agent.cda.doc_state import ParseContext, SectionRef
from cliniq_agent.cda.rules import EntryRule
from cliniq_agent.cda.elements import Element, attr, child, effective_start, normalize_space
from cliniq_agent.core.schema import Assertion, Immunization, Med


def _product(el: Element, ctx: ParseContext) -> tuple[Coded | None, str | None]:
    """(coded product, name): manufacturedMaterial/code, else manufacturedMaterial/name, else entry text."""
    code = ctx.first("product_code", el)
    coded = read_coded(code, ctx) if code is not None else None
    name = coded.name if coded is not None else None
    if name is None:
        material_name = ctx.first("product_name", el)
        name = normalize_space("".join(material_name.itertext())) if material_name is not None else None
    if name is None:
        name = original_text(child(el, "text"), ctx)
    return coded, name


def _dose(el: Element) -> str | None:
    dose = child(el, "doseQuantity")
    if dose is None or attr(dose, "nullFlavor"):
        return None
    value, unit = attr(dose, "value"), attr(dose, "unit")
    if value is None:
        low, high = attr(child(dose, "low"), "value"), attr(child(dose, "high"), "value")
        unit = attr(child(dose, "low"), "unit") or attr(child(dose, "high"), "unit")
        value = f"{low}-{high}" if low and high else (low or high)
    if value is None:
        return None
    return f"{value} {unit}" if unit and unit != "1" else value


def _route(el: Element, ctx: ParseContext) -> str | None:
    route = child(el, "routeCode")
    if route is None or (attr(route, "nullFlavor") and len(route) == 0):
        return None
    coded = read_coded(route, ctx)
    return coded.name or coded.code


def extract_medication(el: Element, rule: EntryRule, section: SectionRef | None, ctx: ParseContext) -> Med | None:
    skip = ctx.skip_reason(el)
    if skip:
        ctx.note(f"medication skipped: {skip}", el)
        return None
    coded, name = _product(el, ctx)
    rx = coded.find("rxnorm") if coded is not None else None
    if rx is None and name is None:
        ctx.note("medication with no RxNorm code and no name skipped", el)
        return None
    if rx is None:
        ctx.note(f"medication {name!r} has no RxNorm code", el)
    assertion = ctx.assertion(el, section)
    return Med(
        name=name,
        rxnorm=rx.code if rx else None,
        dose=_dose(el),
        route=_route(el, ctx),
        status=_med_status(el, assertion, section, ctx),
        assertion=assertion,
        evidence=[ctx.evidence(el, rule, name)],
        translations=codes_of(coded, ctx, held=(("rxnorm", rx.code if rx else None),)),
        original_text=differing_text(coded, name),
    )


def _med_status(el: Element, assertion: Assertion, section: SectionRef | None, ctx: ParseContext) -> str | None:
    if assertion is Assertion.PLANNED:
        return "planned"
    if assertion is Assertion.NEGATED:
        return "not given"
    code = attr(child(el, "statusCode"), "code")
    if section is not None and section.kind == "medications_administered" and code in (None, "completed"):
        return "administered"
    return ctx.kb.med_status_act.get(code) if code else None


def extract_immunization(el: Element, rule: EntryRule, section: SectionRef | None, ctx: ParseContext) -> Immunization | None:
    skip = ctx.skip_reason(el)
    if skip:
        ctx.note(f"immunization skipped: {skip}", el)
        return None
    coded, name = _product(el, ctx)
    cvx = coded.find("cvx") if coded is not None else None
    if cvx is None and name is None:
        ctx.note("immunization with no CVX code and no name skipped", el)
        return None
    if cvx is None:
        ctx.note(f"immunization {name!r} has no CVX code", el)
    assertion = ctx.assertion(el, section)
    if assertion is Assertion.NEGATED:
        status = "not given"
    elif assertion is Assertion.PLANNED:
        status = "planned"
    else:
        code = attr(child(el, "statusCode"), "code")
        status = ctx.kb.med_status_act.get(code) if code else None
    return Immunization(
        name=name,
        cvx=cvx.code if cvx else None,
        date=effective_start(el),
        status=status,
        assertion=assertion,
        evidence=[ctx.evidence(el, rule, name)],
        translations=codes_of(coded, ctx, held=(("cvx", cvx.code if cvx else None),)),
        original_text=differing_text(coded, name),
    )
