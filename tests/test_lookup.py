"""Lookup tier: KB names in free text become items, with assertion, without bleeding lab names into conditions."""

from __future__ import annotations

import pytest

from cliniq_agent import extract
from cliniq_agent.text.lookup.scanner import find_kb_mentions
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


def test_organism_named_as_diagnosis_becomes_its_disorder() -> None:
    kb = TerminologyKB.load()
    organism = kb.condition("6415009")                 # RCTC: Human respiratory syncytial virus (organism)
    assert kb.diagnosis_condition(organism).snomed == "55735004"   # RSV infection (disorder)
    measles = kb.condition("14189004")
    assert kb.diagnosis_condition(measles) is measles
    note = "Toddler with wheeze and cough.\nImpression: respiratory syncytial virus bronchiolitis, stable on room air."
    assert [c.snomed for c in extract(note, use_llm=False, persist_trace=False).record.conditions] == ["55735004"]


def test_disease_word_in_a_lab_or_med_line_is_not_a_diagnosis() -> None:
    note = ("Patient: Omar Haddad\nDx: Community-acquired pneumonia\n"
            "Lab: Influenza A H3 RNA by PCR, nasal swab - Detected\n"
            "Meds: hepatitis B vaccine recombinant 20 mcg IM today\n")
    result = extract(note, use_llm=False, persist_trace=False)
    coded = [c for c in result.record.conditions if c.snomed]
    # only the Dx line's own diagnosis may be coded (community-acquired pneumonia, 385093006, is in the
    # harvested SNOMED table); influenza and hepatitis B in the Lab and Meds lines are not diagnoses
    assert [c.snomed for c in coded] in ([], ["385093006"])
    assert all(e.locator in ("line 2", None) for c in coded for e in c.evidence)   # None: the code lookup's own
    assert not {c.snomed for c in result.record.conditions} & {"6142004", "442438000", "66071002"}


def test_reason_line_prose_is_scanned_with_context() -> None:
    note = ("Patient: Lena Park\nDOB: 2019-02-11\nEncounter: 2026-03-02\n"
            "Reason: two days of vomiting; stool culture grew Shigella sonnei and the clinician diagnosed shigellosis. "
            "Sibling has hepatitis A.\n")
    result = extract(note, use_llm=False, persist_trace=False)
    assert [c.snomed for c in result.record.conditions] == ["36188001"]
    assert any(e.item.get("snomed") == "40468003" and e.reason.startswith("family") for e in result.excluded)


def test_spans_inside_a_coded_span_are_not_scanned_but_the_rest_is() -> None:
    from cliniq_agent.text.context import ContextEngine
    from cliniq_agent.text.lookup.tier import extract_lookup_draft

    text = "Measles and pertussis were discussed."
    measles, pertussis = (0, 7), (12, 21)
    engine = ContextEngine.default()
    everything = extract_lookup_draft(text, [(0, len(text))], engine=engine)
    assert {c.snomed for c in everything.conditions} == {"14189004", "27836007"}
    inside = extract_lookup_draft(text, [measles], engine=engine, skip=[(0, 11)])
    assert inside.conditions == []                       # the only span lies inside a coded one
    partly = extract_lookup_draft(text, [(0, len(text))], engine=engine, skip=[measles])
    assert [c.snomed for c in partly.conditions] == ["27836007"]
    assert extract_lookup_draft(text, [pertussis, measles], engine=engine, skip=[measles]).conditions \
        == partly.conditions


def test_icd10_description_names_its_precisely_linked_condition() -> None:
    """An ICD-10-CM description written in prose ("Varicella (chickenpox)" = B01 "Varicella [chickenpox]") is the
    condition, not a non-item name that hides it (issue 13, n14m's long notes)."""
    kb = TerminologyKB.load()
    found = {(m.text, m.code) for m in find_kb_mentions("A: Varicella (chickenpox), uncomplicated.", kb)}
    assert ("Varicella (chickenpox", "38907003") in found     # tokens end at the last word


def test_setting_named_after_a_disease_is_not_a_diagnosis() -> None:
    """"TB CLINIC NOTE", "phòng khám HIV", "programa de tuberculosis": a clinic or programme, not the patient's
    disease (kb/lookup/setting_words.tsv); the disease named elsewhere in the note still counts."""
    kb = TerminologyKB.load()
    for text in ("TB CLINIC NOTE", "KHÁM NGOẠI TRÚ — PHÒNG KHÁM HIV", "Notificación al programa de tuberculosis",
                 "Programme de lutte contre la tuberculose"):
        assert not [m for m in find_kb_mentions(text, kb) if m.system == "snomed"], text
    assert {m.code for m in find_kb_mentions("HIV clinic visit. Dx: HIV infection.", kb)} == {"86406008"}


def test_a_name_does_not_run_over_a_dash() -> None:
    """"PHIẾU KHÁM BỆNH — PHÒNG KHÁM" folds to "... benh — phong kham": not the Vietnamese "bệnh phong" (leprosy)."""
    kb = TerminologyKB.load()
    assert not [m for m in find_kb_mentions("PHIẾU KHÁM BỆNH — PHÒNG KHÁM TIÊM CHỦNG", kb) if m.system == "snomed"]
    assert {m.code for m in find_kb_mentions("Chẩn đoán: bệnh phong thể nhiều vi khuẩn.", kb)} == {"81004002"}


@pytest.mark.parametrize(("text", "expected"), [
    ("Phơi nhiễm HIV do kim đâm, đã dùng PEP.", set()),                       # an exposure, not "nhiễm HIV"
    ("Không có phơi nhiễm: HIV, viêm gan B. Tư vấn và cho về.", set()),
    ("Nguy cơ lây nhiễm HIV thấp, đã tư vấn.", set()),                          # the risk of transmission
    ("Bệnh nhân nhiễm HIV, đang điều trị ARV.", {"86406008"}),                  # HIV infection
    ("Trẻ bị lây nhiễm HIV từ mẹ, tải lượng virus cao.", {"86406008"}),          # infected: the name after the word
    ("Nhiễm Salmonella, cấy phân dương tính.", {"302231008"}),
])
def test_no_name_starts_on_the_second_syllable_of_a_word(text: str, expected: set[str]) -> None:
    """"phơi nhiễm" (exposure) + "HIV" was read as "nhiễm HIV" (HIV infection): kb/lookup/compound_heads.tsv."""
    assert {r.snomed for r in extract(text, persist_trace=False).record.reportable} == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Chẩn đoán: bệnh thận mạn giai đoạn 3.", set()),                 # kidney disease, not "bệnh than" (anthrax)
    ("Ho khan đã lâu, bệnh lâu năm chưa khỏi.", set()),               # a long illness, not "bệnh lậu"
    ("BN nằm bệnh phòng số 5. Chẩn đoán: viêm phổi.", set()),         # a ward, not "bệnh phong" (leprosy)
    ("Chan doan: benh than man, tang huyet ap.", set()),             # unaccented: mostly the everyday word
    ("Chan doan: benh lau nam, dau khop.", set()),
    ("Chẩn đoán: bệnh than da, cấy mọc Bacillus anthracis.", {"409498004"}),
    ("Chẩn đoán: bệnh lậu.", {"15628003"}),
    ("Bệnh nhân bệnh phong thể nhiều vi khuẩn (MB), BI 3+.", {"81004002"}),  # "phong" here is no "phòng" (prevention)
    ("Chẩn đoán: thuỷ đậu.", {"38907003"}),                           # tone placement aside ("thuỷ" = "thủy")
    ("Chan doan: thuy dau.", {"38907003"}),                           # typed without marks: read
])
def test_vietnamese_names_keep_their_tone_marks(text: str, expected: set[str]) -> None:
    """Folding merges "bệnh thận" / "bệnh than", "bệnh lâu" / "bệnh lậu", "bệnh phòng" / "bệnh phong": a name
    written with marks must carry the KB name's marks (terminology/tones.py); kb/lookup/tone_homographs.tsv names
    the ones read only with their marks; the ConText row "phòng" (prevention) is `toned` (kb/context)."""
    assert {r.snomed for r in extract(text, persist_trace=False).record.reportable} == expected


def test_tones_agree_word_by_word() -> None:
    from cliniq_agent.terminology.tones import tones_agree
    assert tones_agree("thuỷ đậu", "thủy đậu") and tones_agree("thuy dau", "thủy đậu")
    assert not tones_agree("bệnh thận", "bệnh than") and not tones_agree("bệnh phòng", "bệnh phong")
