"""The act pass of parse_cda: kb/cda/acts.toml rules -> allergies, procedures, orders, reports, practitioners.

It runs after the entry rules and claims elements only among its own rules, so an entry the entry rules
already read (an eICR lab order is a planned Lab mention there) can also become an order here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cliniq_agent.cda.act_codes import act_codes, entry_id, trigger_mark
from cliniq_agent.cda.act_rules import ActKb, ActRule, default_act_kb
from cliniq_agent.cda.allergies import extract_allergy
from cliniq_agent.cda.codes import original_text, read_coded
from cliniq_agent.cda.doc_state import ParseContext, SectionRef
from cliniq_agent.cda.elements import Element, attr, child, is_true, local_name, time_bounds
from cliniq_agent.cda.meds import _dose, _product, _route  # one reading of substanceAdministration products
from cliniq_agent.cda.people import read_practitioners
from cliniq_agent.core.schema import Allergy, Assertion, Order, Practitioner, Procedure, Report


@dataclass
class ActItems:
    allergies: list[Allergy] = field(default_factory=list)
    procedures: list[Procedure] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    practitioners: list[Practitioner] = field(default_factory=list)


def read_acts(ctx: ParseContext, akb: ActKb | None = None) -> ActItems:
    akb = akb or default_act_kb()
    items = ActItems()
    for rule, el, section in ctx.claimed_matches(akb.rules):
        if rule.extract == "allergy":
            _append(items.allergies, extract_allergy(el, rule, section, ctx, akb))
        elif rule.extract == "procedure":
            _append(items.procedures, extract_procedure(el, rule, section, ctx))
        elif rule.extract == "order":
            _append(items.orders, extract_order(el, rule, section, ctx, akb))
        else:
            _append(items.reports, extract_report(el, rule, ctx, akb))
    items.practitioners = read_practitioners(ctx, akb)
    return items


def _append(target: list, item: object | None) -> None:
    if item is not None:
        target.append(item)


def _coded_act(el: Element, ctx: ParseContext):
    code = child(el, "code")
    coded = read_coded(code, ctx) if code is not None else None
    name = (coded.name if coded is not None else None) or original_text(child(el, "text"), ctx)
    return coded, name


def extract_procedure(el: Element, rule: ActRule, section: SectionRef | None, ctx: ParseContext) -> Procedure | None:
    skip = ctx.skip_reason(el)
    if skip:
        ctx.note(f"procedure skipped: {skip}", el)
        return None
    coded, name = _coded_act(el, ctx)
    codes = act_codes(coded)
    if not codes and name is None:
        ctx.note("procedure with no code and no name skipped", el)
        return None
    start, end = time_bounds(child(el, "effectiveTime"))
    return Procedure(
        name=name, codes=codes, entry_id=entry_id(el), date=start, end=end,
        status=attr(child(el, "statusCode"), "code"),
        assertion=ctx.assertion(el, section), evidence=[ctx.evidence(el, rule.id, name)],
    )


def extract_order(el: Element, rule: ActRule, section: SectionRef | None, ctx: ParseContext,
                  akb: ActKb) -> Order | None:
    """A planned act as a request: intent from moodCode, status from statusCode, the trigger marker kept."""
    skip = ctx.skip_reason(el)
    if skip:
        ctx.note(f"order skipped: {skip}", el)
        return None
    medication = local_name(el) == "substanceAdministration"
    coded, name = _product(el, ctx) if medication else _coded_act(el, ctx)
    codes = act_codes(coded)
    if not codes and name is None:
        ctx.note(f"planned {rule.kind} with no code and no name skipped", el)
        return None
    kind = rule.kind or "act"
    if rule.lab_if_loinc and any(code.system == "loinc" for code in codes):
        kind = "lab"
    mood = attr(el, "moodCode")
    intent = akb.order_intent.get(mood or "")
    if intent is None:
        ctx.note(f"planned {kind} with moodCode {mood!r}: read as a plan", el)
        intent = "plan"
    mark = trigger_mark(el, coded, ctx)
    # An order is asserted as an order whatever its moodCode; only negationInd ("not to be done") negates it.
    assertion = Assertion.NEGATED if is_true(el.get("negationInd")) else Assertion.PRESENT
    return Order(
        name=name, codes=codes, entry_id=entry_id(el), kind=kind, intent=intent,
        status=attr(child(el, "statusCode"), "code"), date=time_bounds(child(el, "effectiveTime"))[0],
        trigger=mark is not None, value_set=mark.value_set if mark else None,
        value_set_version=mark.version if mark else None,
        dose=_dose(el) if medication else None, route=_route(el, ctx) if medication else None,
        assertion=assertion, evidence=[ctx.evidence(el, rule.id, name)],
    )


def extract_report(el: Element, rule: ActRule, ctx: ParseContext, akb: ActKb) -> Report | None:
    """A result organizer: the panel's code and status, its member observations by locator."""
    skip = ctx.skip_reason(el)
    if skip:
        ctx.note(f"result organizer skipped: {skip}", el)
        return None
    members = akb.xpath("organizer_members")(el)
    if not members:
        ctx.note("result organizer without result observations skipped", el)
        return None
    coded, name = _coded_act(el, ctx)
    start, _ = time_bounds(child(el, "effectiveTime"))
    if start is None:
        start = next((time_bounds(child(m, "effectiveTime"))[0] for m in members
                      if time_bounds(child(m, "effectiveTime"))[0]), None)
    return Report(
        name=name, codes=act_codes(coded), entry_id=entry_id(el), date=start, status=_report_status(el, ctx),
        results=[ctx.locator(member) for member in members], evidence=[ctx.evidence(el, rule.id, name)],
    )


def _report_status(el: Element, ctx: ParseContext) -> str | None:
    """Laboratory Result Status (ID) of the organizer, else its statusCode (kb/cda/statuses.toml)."""
    value = ctx.first("organizer_result_status", el)
    code = attr(value, "code")
    if code and code in ctx.kb.result_status_v2:
        return ctx.kb.result_status_v2[code]
    status = attr(child(el, "statusCode"), "code")
    return ctx.kb.result_status_act.get(status) if status else None
