"""The agent's last step for one text: items only for codes a tool returned for the phrase and that pass
validation, then the job's scope (a CDA section keeps only conditions its coded entries lack)."""

from __future__ import annotations

from cliniq_agent.agent.records import CODED, Candidate
from cliniq_agent.core.schema import CompactRecord, Condition, Evidence, Tier, coded_item
from cliniq_agent.core.state import AgentJob, Draft, ExcludedItem
from cliniq_agent.terminology.normalize import fold_key
from cliniq_agent.terminology.text_links import load_text_links
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.validate import check_code


def ground(doc: TextDoc, candidates: list[Candidate]) -> tuple[CompactRecord, list[ExcludedItem]]:
    engine, text = ContextEngine.default(), doc.text
    record, dropped = CompactRecord(), []
    for candidate in candidates:
        chosen = candidate.chosen
        if chosen is None or candidate.decision not in CODED:
            dropped.append(dropped_item(candidate, candidate.verdict or "no code chosen"))
            continue
        if chosen not in candidate.hits or check_code(chosen.system, chosen.code):
            dropped.append(dropped_item(candidate, "chosen code is not a valid code-index result for this phrase"))
            continue
        if candidate.kind == "conditions" and chosen.match in ("lexical", "vector") \
                and _names_a_non_invasive_site(chosen.code, candidate.phrase):
            dropped.append(dropped_item(candidate, f"{chosen.name} needs a normally sterile site the phrase does "
                                                   "not name"))
            continue
        verdict = engine.assess(doc, candidate.span)
        tier = Tier.AGENT if candidate.decided_by == "model" else Tier.RAG
        evidence = [Evidence(tier=tier, span=candidate.span, text=text[candidate.span[0]:candidate.span[1]],
                             rule=f"{candidate.cue};{chosen.match}:{chosen.matched_text}", score=chosen.score)]
        item = coded_item(candidate.kind, chosen.system, chosen.code, chosen.name, evidence=evidence)
        item.assertion = verdict.assertion
        if isinstance(item, Condition) and verdict.certainty == "suspected":
            item.status = "suspected"
        getattr(record, candidate.kind).append(item)
    return record, dropped


def _names_a_non_invasive_site(code: str, phrase: str) -> bool:
    """A near (lexical / vector) hit for an invasive bacterial disease (its text_links lab rows require a normally
    sterile specimen: CSTE invasive pneumococcal, group A / B streptococcal, H. influenzae disease) whose phrase
    names the organism but neither such a site nor the invasive disease: "pneumococcal pneumonia", "group A strep
    pharyngitis" are not invasive disease."""
    table, key = load_text_links(), fold_key(phrase)
    invasive = [link for link in table.links if link.condition == code and link.use in ("lab", "any")
                and link.require is not None and link.require.search("csf")]
    if not invasive or not any(link.pattern.search(key) for link in invasive):
        return False
    if any(link.require.search(key) for link in invasive):
        return False
    return not any(cond.condition == code for _, cond in table.match(phrase, "dx"))


def job_draft(job: AgentJob, record: CompactRecord, notes: list[str]) -> Draft:
    """The agent's draft of one job, narrowed to the job's scope."""
    if job.only is not None:
        kept = [item for item in getattr(record, job.only)
                if not ({getattr(item, "snomed", None), getattr(item, "icd10", None)} & job.known_codes)]
        record = CompactRecord(**{job.only: kept})
    if job.locator is not None:
        for name in CompactRecord.ITEM_LISTS:
            for item in getattr(record, name):
                for evidence in item.evidence:
                    evidence.tier, evidence.locator = job.evidence_tier or evidence.tier, job.locator
    return Draft(producer=job.producer, record=record, notes=notes)


def dropped_item(candidate: Candidate, reason: str) -> ExcludedItem:
    return ExcludedItem(kind=candidate.kind, name=candidate.phrase, reason=f"agent: {reason}",
                        item={"phrase": candidate.phrase, "span": list(candidate.span), "cue": candidate.cue,
                              "hits": [f"{h.system}:{h.code} {h.name} ({h.score:.2f}, {h.match})" for h in candidate.hits]})
