"""Serology patterns of past infection or immunity are not current cases (issue 13, narrative precision).

CSTE hepatitis A/B/C definitions read marker *combinations*: IgM anti-HAV, HBsAg / HBV DNA / IgM anti-HBc and
HCV RNA make a case; IgG or total anti-HAV, anti-HBs, anti-HBc with HBsAg negative and anti-HCV with RNA not
detected do not (kb/criteria/serology.tsv). Sentences written for this test, in en/es/pt/fr/vi; none is taken
from a test set or benchmark.
"""

from __future__ import annotations

import pytest

from conftest import assert_reports_nothing

from cliniq_agent import extract
from cliniq_agent.core.schema import Lab
from cliniq_agent.reportability.positivity import Positivity, classify
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.criteria.serology import find_serology, past_or_immune
from cliniq_agent.text.doc import TextDoc

HAV, HBV, HCV = "40468003", "66071002", "50711007"

PAST_OR_IMMUNE = [
    ("en", "Viral hepatitis screen: HBsAg nonreactive, anti-HBc reactive, anti-HBs reactive."),
    ("en", "Anti-HAV total positive and IgM anti-HAV negative, so she is immune."),
    ("en", "HAV IgG came back positive; IgM not detected."),
    ("en", "HCV antibody reactive, HCV RNA below the limit of detection."),
    ("en", "Hep C Ab positive, viral load undetectable after a course of antivirals."),
    ("en", "Core antibody positive with surface antigen negative — old hepatitis B infection."),
    ("en", "Hepatitis B surface antibody 180, immune after three doses."),
    ("es", "Serología VHB: HBsAg negativo, anti-HBc positivo, anti-HBs positivo."),
    ("es", "IgG contra hepatitis A positiva y la IgM negativa."),
    ("es", "Anti-VHC positivo con carga viral indetectable."),
    ("pt", "Marcadores: HBsAg não reagente, anti-HBc total reagente, anti-HBs reagente."),
    ("pt", "Anti-HAV IgG reagente com IgM negativa."),
    ("pt", "Anti-HCV reagente, carga viral do HCV não detectável."),
    ("fr", "Marqueurs VHB : Ag HBs négatif, Ac anti-HBc positifs, Ac anti-HBs positifs."),
    ("fr", "Hépatite A : IgG positives, IgM négatives."),
    ("fr", "Ac anti-VHC positifs mais ARN du VHC indétectable."),
    ("vi", "Xét nghiệm: HBsAg âm tính, anti-HBc dương tính, anti-HBs dương tính."),
    ("vi", "Anti-HAV IgG dương tính, IgM âm tính."),
    ("vi", "Anti-HCV dương tính, HCV RNA âm tính."),
    # a single IgG shows immunity or past infection (VPD and arboviral definitions: IgM, NAAT, NS1 or a rise)
    ("en", "Immunity check before travel: measles IgG positive, mumps IgG positive."),
    ("en", "West Nile virus IgG positive with IgM negative; no neurologic signs."),
    ("es", "Anticuerpos IgG contra dengue positivos, IgM negativa."),
    ("pt", "IgG para varicela reagente e IgM não reagente na gestante."),
    ("fr", "Sérologie chikungunya : IgG positives, IgM négatives."),
    ("vi", "IgG sốt xuất huyết dương tính, IgM âm tính, NS1 âm tính."),
]

CURRENT = [
    ("en", "Anti-HAV IgM positive; total anti-HAV positive.", HAV),
    ("en", "HBsAg reactive, anti-HBc total reactive, anti-HBs nonreactive.", HBV),
    ("en", "HBsAg negative but IgM anti-HBc positive: window period of acute hepatitis B.", HBV),
    ("en", "HCV antibody reactive and HCV RNA detected at 800,000 IU/mL.", HCV),
    ("en", "HCV antibody reactive, RNA not yet resulted.", HCV),
    ("es", "HBsAg positivo, anti-HBs negativo.", HBV),
    ("pt", "Anti-HCV reagente e RNA do HCV detectado.", HCV),
    ("fr", "Ag HBs positif, Ac anti-HBs négatifs.", HBV),
    ("vi", "HBsAg dương tính, anti-HBs âm tính.", HBV),
    ("en", "Measles IgM positive and IgG positive.", "14189004"),
    ("es", "Dengue: NS1 positivo, IgG positiva.", "38362002"),
    ("pt", "Zika IgM reagente, IgG reagente.", "3928002"),
]


@pytest.mark.parametrize(("language", "text"), PAST_OR_IMMUNE, ids=[f"past-{l}-{i}" for i, (l, _) in enumerate(PAST_OR_IMMUNE)])
def test_past_infection_or_immunity_is_not_reported(language: str, text: str) -> None:
    assert_reports_nothing(language, text)


@pytest.mark.parametrize(("language", "text", "code"), CURRENT, ids=[f"current-{l}-{i}" for i, (l, _, _) in enumerate(CURRENT)])
def test_marker_of_current_infection_keeps_the_case(language: str, text: str, code: str) -> None:
    record = extract(text, use_llm=False, persist_trace=False).record
    assert code in {r.snomed for r in record.reportable}, f"{language}: {text!r} lost {code}"


def test_pattern_reads_the_marker_combination() -> None:
    text = "HBsAg negative, anti-HBc positive. HAV IgM positive, IgG positive."
    doc = TextDoc.of(text)
    findings = find_serology(doc, [(0, len(text))])
    assert {(f.group, f.kind, f.positive) for f in findings} == {
        ("hbv", "current", False), ("hbv", "antibody", True), ("hav", "current", True), ("hav", "immunity", True)}
    assert set(past_or_immune(findings)) == {"hbv"}      # IgM anti-HAV positive: hepatitis A stays a case


def test_clause_without_virus_name_inherits_it_from_its_sentence() -> None:
    text = "Anticuerpos IgG contra la hepatitis A positivos, IgM negativa."
    findings = find_serology(TextDoc.of(text), [(0, len(text))])
    assert [(f.group, f.kind, f.positive) for f in findings] == [("hav", "immunity", True), ("hav", "current", False)]


@pytest.mark.parametrize("result", ["không phát hiện", "indetectável", "no detectable", "indétectable", "não reativo"])
def test_negative_result_words_of_five_languages_do_not_trigger(result: str) -> None:
    state, _ = classify(Lab(name="HCV RNA", result=result))
    assert state is Positivity.NEGATIVE


@pytest.mark.parametrize(("text", "word", "language"), [
    ("Dépistage : VIH négatif, syphilis négative.", "VIH", "fr"),
    ("Anticuerpos contra VIH negativos.", "VIH", "es"),
    ("Triagem: anticorpos anti-HIV negativos.", "HIV", "pt"),
])
def test_short_result_line_is_read_in_its_language(text: str, word: str, language: str) -> None:
    start = text.index(word)
    verdict = ContextEngine.default().assess(TextDoc.of(text), (start, start + len(word)))
    assert verdict.language == language
    assert not verdict.assertion.asserted


@pytest.mark.parametrize(("language", "text"), [
    ("en", "Labs consistent with resolved hepatitis B."),
    ("es", "Tiene una infección pasada por hepatitis B."),
    ("pt", "Infecção prévia pelo vírus da hepatite B."),
    ("fr", "Infection ancienne par le virus de l'hépatite B."),
    ("vi", "Viêm gan B đã khỏi từ lâu."),
])
def test_infection_named_as_resolved_is_historical(language: str, text: str) -> None:
    assert_reports_nothing(language, text)
