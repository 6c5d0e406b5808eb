"""Lookup tier: KB names in free text become items, with assertion, without bleeding lab names into conditions."""

from __future__ import annotations

from cliniq_agent import extract
from cliniq_agent.lookup.scanner import find_kb_mentions
from cliniq_agent.terminology import TerminologyKB

NOTE = """Patient: Ines Carvalho
DOB: 1990-02-03
Seen today for three weeks of cough. Assessment: active pulmonary TB, smear positive.
Her sister had measles as a child. Coccidioidomycosis was ruled out.
Dengue virus IgM antibody pending. Fever and chills resolved."""


def test_mentions_are_reportable_conditions_only() -> None:
    mentions = find_kb_mentions(NOTE, TerminologyKB.load())
    found = {(m.text, m.system, m.code) for m in mentions}
    assert ("TB", "snomed", "56717001") in found
    assert ("measles", "snomed", "14189004") in found
    assert not any(m.text.lower() in {"fever", "chills", "cough"} for m in mentions)   # symptoms are not items
    assert not any(m.text.lower().startswith("dengue") for m in mentions)            # "Dengue virus IgM" is a test


def test_narrative_keeps_only_asserted_mentions() -> None:
    result = extract(NOTE, use_llm=False, persist_trace=False)
    assert result.route == "narrative"
    assert [c.snomed for c in result.record.conditions] == ["56717001"]
    reasons = {e.item.get("snomed"): e.reason for e in result.excluded}
    assert reasons["14189004"].startswith("family")
    assert any(code and reason.startswith("ruled_out") for code, reason in reasons.items())
