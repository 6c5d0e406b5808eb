"""parse_cda: section-aware extraction of an HL7 CDA R2 eICR / RR / C-CDA into a draft CompactRecord.

Flow: classify sections (tiered rules) -> run the entry rules of kb/cda/entries.toml in order, each
matched element handled once by its extractor -> header facts -> triggers -> fold duplicates.
Nothing is silently dropped: every skip or oddity lands in CdaParse.notes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from cliniq_agent.cda.acts import read_acts
from cliniq_agent.cda.doc_state import ParseContext, SectionRef
from cliniq_agent.cda.header import EncounterActivity, extract_encounter_activity, read_encounter, read_patient
from cliniq_agent.cda.rules import CdaKb, EntryRule, default_kb
from cliniq_agent.cda.meds import extract_immunization, extract_medication
from cliniq_agent.cda.models import CdaParse, DocKind
from cliniq_agent.cda.narrative import NarrativeIndex
from cliniq_agent.cda.elements import CDA, Element, attr, child, children, with_cda_namespace
from cliniq_agent.cda.problems import extract_condition
from cliniq_agent.cda.record import RecordItems, fold_social
from cliniq_agent.cda.results import extract_lab_order, extract_lab_result, extract_vital
from cliniq_agent.cda.sections import read_sections
from cliniq_agent.cda.social import SocialFact, extract_delivery_date, extract_occupation, extract_pregnancy, extract_travel
from cliniq_agent.cda.triggers import collect_triggers, extract_rr_condition
from cliniq_agent.core.errors import InputError
from cliniq_agent.core.schema import CompactRecord, Reportable, Travel
from cliniq_agent.core.xmlsafe import is_clinical_document

EICR_TEMPLATE = "2.16.840.1.113883.10.20.15.2"
EICR_CODE = "55751-2"
RR_TEMPLATE = "2.16.840.1.113883.10.20.15.2.1.2"
RR_CODE = "88085-6"

Extractor = Callable[[Element, EntryRule, SectionRef | None, ParseContext], Any]

_EXTRACTORS: dict[str, Extractor] = {
    "condition": extract_condition,
    "lab_result": extract_lab_result,
    "lab_order": extract_lab_order,
    "vital": extract_vital,
    "medication": extract_medication,
    "immunization": extract_immunization,
    "pregnancy": extract_pregnancy,
    "delivery_date": extract_delivery_date,
    "occupation": extract_occupation,
    "travel": extract_travel,
    "rr_condition": extract_rr_condition,
    "encounter": extract_encounter_activity,
}


def doc_kind(template_ids: list[str], code: str | None) -> DocKind:
    """RR by its document template or code, eICR likewise, any other CDA is plain C-CDA."""
    if RR_TEMPLATE in template_ids or code == RR_CODE:
        return "rr"
    if EICR_TEMPLATE in template_ids or code == EICR_CODE:
        return "eicr"
    return "ccda"


def parse_cda(root: etree._Element, *, source_name: str, kb: CdaKb | None = None) -> CdaParse:
    """Extract a draft record (asserted, negated and planned items alike), sections, triggers, RR conditions."""
    if not isinstance(root, etree._Element) or not is_clinical_document(root):
        raise InputError(f"{source_name}: not an HL7 CDA ClinicalDocument (urn:hl7-org:v3)")
    kb = kb or default_kb()
    notes: list[str] = []
    if etree.QName(root).namespace is None:
        root = with_cda_namespace(root)
        notes.append("document had no XML namespace; read as urn:hl7-org:v3 (locators refer to that reading)")
    ctx = ParseContext(root=root, kb=kb, narrative=NarrativeIndex(root), notes=notes)
    template_ids = [t for t in (attr(el, "root") for el in children(root, "templateId")) if t]
    code = attr(child(root, "code"), "code")
    kind = doc_kind(template_ids, code)
    body = child(child(root, "component"), "structuredBody")
    if body is None:
        if child(child(root, "component"), "nonXMLBody") is not None:
            ctx.note("document body is a nonXMLBody: no sections or entries to read")
        else:
            ctx.note("document has no structuredBody: no sections or entries to read")
    sections = read_sections(ctx)

    items = RecordItems()
    facts: list[SocialFact] = []
    travel: list[Travel] = []
    activities: list[EncounterActivity] = []
    for rule, el, section in ctx.claimed_matches(kb.entries):
        out = _EXTRACTORS[rule.extract](el, rule, section, ctx)
        if out is None:
            continue
        if isinstance(out, SocialFact):
            facts.append(out)
        elif isinstance(out, Travel):
            travel.append(out)
        elif isinstance(out, EncounterActivity):
            activities.append(out)
        elif isinstance(out, Reportable):
            items.add_rr(out)
        else:
            items.add(out)

    acts = read_acts(ctx)  # issue 11: allergies, procedures, orders, reports, practitioners (kb/cda/acts.toml)
    record = CompactRecord(
        patient=read_patient(ctx),
        encounter=read_encounter(ctx, activities, items.conditions),
        conditions=items.conditions,
        labs=items.labs,
        meds=items.meds,
        vitals=items.vitals,
        immunizations=items.immunizations,
        social=fold_social(facts, travel, ctx.notes),
        allergies=acts.allergies,
        procedures=acts.procedures,
        orders=acts.orders,
        reports=acts.reports,
        practitioners=acts.practitioners,
    )
    triggers = collect_triggers(ctx)
    if kind != "rr" and ctx.select.elements(f"{CDA}section") and not triggers:
        ctx.note("no trigger code found (no trigger-code template, no RCTC-marked code)")
    return CdaParse(
        source_name=source_name,
        doc_kind=kind,
        doc_template_ids=template_ids,
        doc_code=code,
        record=record,
        sections=sections,
        triggers=triggers,
        rr_conditions=list(items.rr.values()),
        notes=ctx.notes,
    )
