"""eICR trigger codes and RR reportable conditions.

A trigger is a code the sending EHR matched against the RCTC: it sits in an entry carrying one of
the eICR trigger-code templates and/or is marked with @sdtc:valueSet = an RCTC value set.
"""

from __future__ import annotations

from cliniq_agent.cda.codes import Coded, read_coded
from cliniq_agent.cda.doc_state import ParseContext, SectionRef
from cliniq_agent.cda.rules import EntryRule
from cliniq_agent.cda.elements import SDTC_VALUE_SET, Element, attr, child, children
from cliniq_agent.core.schema import Reportable, Trigger


def _trigger(coded: Coded, ctx: ParseContext) -> Trigger | None:
    if not coded.code or not coded.system:
        return None
    return Trigger(system=coded.system, code=coded.code, display=coded.name, source=ctx.locator(coded.element))


def collect_triggers(ctx: ParseContext) -> list[Trigger]:
    """Trigger codes from trigger-template entries, then any RCTC-marked code in the document."""
    found: dict[tuple[str, str], Trigger] = {}

    def add(trigger: Trigger | None) -> None:
        if trigger is not None:
            found.setdefault((trigger.system, trigger.code), trigger)

    roots = {template.root: template for template in ctx.kb.trigger_templates}
    predicate = " or ".join(f"@root='{root}'" for root in roots)
    query = f"//cda:templateId[{predicate}]/parent::*"
    for el in ctx.select(query) if roots else []:
        template = next(roots[r] for r in (attr(t, "root") for t in children(el, "templateId")) if r in roots)
        marked = [node for node in _marked(el, ctx) if ctx.kb.is_rctc(node.get(SDTC_VALUE_SET))]
        if marked:
            for node in marked:
                add(_trigger(read_coded(node, ctx), ctx))
            continue
        hits = 0
        for path in template.code_paths:
            for node in ctx.kb.xpath(path)(el):
                coded = read_coded(node, ctx)
                standard = coded.standard()
                if standard is None:
                    continue
                if ctx.kb.is_artefact(standard.system, standard.code):
                    ctx.note(f"{template.name}: code {standard.code} is a placeholder, not a trigger", node)
                    continue
                add(_trigger(standard, ctx))
                hits += 1
        if hits == 0:
            ctx.note(f"{template.name} entry carries no usable trigger code", el)
    for node in ctx.select(_MARKED_ANYWHERE):
        if ctx.kb.is_rctc(node.get(SDTC_VALUE_SET)):
            add(_trigger(read_coded(node, ctx), ctx))
    return list(found.values())


# One name test per branch (libxml2 tests the attribute only on code / value / translation elements, not on
# every node): the same nodes, in document order, as descendant-or-self::*[@sdtc:valueSet][self::cda:code or …].
_MARKED = " | ".join(f"descendant-or-self::cda:{name}[@sdtc:valueSet]" for name in ("code", "value", "translation"))
# The same anywhere in the document, over the document's element index (one walk shared with the entry rules).
_MARKED_ANYWHERE = " | ".join(f"//cda:{name}[@sdtc:valueSet]" for name in ("code", "value", "translation"))


def _marked(el: Element, ctx: ParseContext) -> list[Element]:
    """Coded elements under ``el`` (itself included) carrying @sdtc:valueSet."""
    return ctx.kb.xpath(_MARKED)(el)


def extract_rr_condition(el: Element, rule: EntryRule, section: SectionRef | None, ctx: ParseContext) -> Reportable | None:
    """RR Relevant Reportable Condition Observation: SNOMED in value, confidence from determination."""
    value = child(el, "value")
    if value is None:
        ctx.note("RR reportable condition observation without a value skipped", el)
        return None
    coded = read_coded(value, ctx)
    snomed = coded.find("snomed")
    if snomed is None:
        what = f"value nullFlavor {coded.null_flavor}" if coded.null_flavor else f"{coded.name!r} has no SNOMED CT code"
        ctx.note(f"RR reportable condition observation skipped: {what}", el)
        return None
    confidence = 0.0
    labels: list[str] = []
    for determination in ctx.kb.xpath(ctx.kb.rr_determination_xpath)(el):
        code = attr(determination, "code")
        known = ctx.kb.rr_determination.get(code or "")
        if known is None:
            ctx.note(f"RR determination code {code!r} not recognised", determination)
            continue
        labels.append(known.label)
        confidence = max(confidence, known.confidence)
    if not labels:
        ctx.note(f"RR condition {snomed.code} has no determination of reportability", el)
    elif confidence == 0.0:
        ctx.note(f"RR condition {snomed.code} determined {', '.join(sorted(set(labels)))} for every jurisdiction", el)
    name = coded.name or snomed.name or snomed.code
    return Reportable(name=name, snomed=snomed.code, confidence=confidence)
