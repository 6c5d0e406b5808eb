"""Issue 13 recall: results written the way clinicians talk, and serology panels read as a whole.

Every sentence was written for this test (none comes from an evaluation set). Each exercises one general piece:
- a serology panel: a marker that stays reactive after cure (HCV antibody, anti-HBc, HAV IgG) with a negative test
  of current infection on the same line (RNA, HBsAg, IgM), even when that test is written without its organism
  ("…, RNA not detected") — a past or resolved infection, not a case (kb/criteria/result_statements.tsv);
- sign shorthand for paired STI NAATs ("CT+ GC-"): a plus ends the scope of the next test's minus
  (kb/context/triggers_any.tsv) and "CT"/"NG" next to each other name their organisms (text_links.tsv);
- a labelled lab line whose clause ends with its result words ("Salmonella dương tính");
- an accented short disease name ("sởi") is a word, not an abbreviation (text/lookup/scanner.py);
- carbapenemase names with an Enterobacterales organism: carbapenemase-producing organism and CRE (RCTC).
"""

import pytest

from conftest import reportable

from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.result_words import trailing_interpretation
from cliniq_agent.core.schema import Assertion

HBV, HAV, HCV, CT, GC, TB, SAL, MEAS = ("66071002", "40468003", "50711007", "240589008", "15628003", "56717001",
                                        "302231008", "14189004")
CRE, CPO = "712662001", "734350003"


@pytest.mark.parametrize("text", [
    "Pre-op screening: hepatitis B core antibody reactive, surface antigen nonreactive; no treatment needed.",
    "Chequeo laboral: anti-HBc reactivo y HBsAg negativo, transaminasas normales.",
    "Doadora de sangue: anti-HBc reagente, HBsAg não reagente.",
    "Bilan prénatal : hepatitis A IgG positive, IgM négative, immunité ancienne.",
    "Routine labs before chemo: hepatitis A IgG reactive, IgM nonreactive.",
    "Seguimiento: anti-VHC positivo tras tratamiento, ARN indetectable.",
    "Contrôle post-traitement : anticorps anti-VHC positifs, ARN indétectable.",
    "Tái khám sau điều trị: anti-HCV dương tính, RNA không phát hiện.",
])
def test_resolved_serology_is_not_a_case(text):
    assert reportable(text) == set()


@pytest.mark.parametrize("text, expected", [
    # the same panels with a positive test of current infection stay cases
    ("Pre-op screening: anti-HBc reactive, HBsAg reactive, referred to hepatology.", {HBV}),
    ("Hepatitis A IgG positive, IgM positive, jaundice for a week.", {HAV}),
    ("Tái khám: anti-HCV dương tính, HCV RNA dương tính, tải lượng cao.", {HCV}),
    # IgM anti-HAV written in the Spanish / French order
    ("Ictericia y coluria desde el lunes; IgM anti-VHA positiva.", {HAV}),
    ("Ictère fébrile au retour du Maroc ; IgM anti-VHA positives.", {HAV}),
])
def test_current_infection_markers_are_read(text, expected):
    assert reportable(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Seen at the STI clinic, first-void urine NAAT CT+ GC- this morning.", {CT}),
    ("Clinic follow-up, vaginal swab: CT- GC+, ceftriaxone given.", {GC}),
    ("Consulta de ITS; exudado cervical CT+ GC-, se indica doxiciclina.", {CT}),
    ("Consulta de IST, urina de primeiro jato: CT+ NG-.", {CT}),
    ("Consultation CeGIDD, auto-prélèvement vaginal CT+ GC-.", {CT}),
    ("Khám bệnh lây qua đường tình dục, dịch cổ tử cung CT+ GC-.", {CT}),
])
def test_sign_shorthand_for_paired_naats(text, expected):
    assert reportable(text) == expected


def test_plus_sign_keeps_the_previous_test_present():
    engine = ContextEngine.default()
    text = "Swab result CT+ GC- today"
    ct, gc = text.index("CT"), text.index("GC")
    assert engine.assess(text, (ct, ct + 2)).assertion is Assertion.PRESENT
    assert engine.assess(text, (gc, gc + 2)).assertion is Assertion.NEGATED


@pytest.mark.parametrize("text, expected", [
    ("Ho ra máu 2 tháng, sụt cân. PCR lao dương tính, bắt đầu điều trị.", {TB}),
    ("Xét nghiệm: Shigella âm tính, Salmonella dương tính.", {SAL}),
    ("Trẻ 3 tuổi sốt cao, phát ban toàn thân, chưa tiêm chủng. Nghi sởi, đã báo y tế dự phòng.", {MEAS}),
])
def test_vietnamese_short_results_and_names(text, expected):
    assert reportable(text) == expected


def test_trailing_result_words_split_a_lab_clause():
    assert trailing_interpretation("Salmonella dương tính.") == len("Salmonella ")
    assert trailing_interpretation("Hepatitis B surface antigen not detected") == len("Hepatitis B surface antigen ")
    assert trailing_interpretation("positive") is None
    assert trailing_interpretation("positive culture") is None


@pytest.mark.parametrize("text, expected", [
    ("ICU screening: rectal swab grew Klebsiella oxytoca, NDM detected; contact precautions.", {CRE, CPO}),
    ("Infección urinaria por E. coli productora de OXA-48, aislamiento de contacto.", {CRE, CPO}),
    ("Bacteremia por Enterobacter cloacae resistente a carbapenémicos; se inicia ceftazidima-avibactam.", {CRE}),
    ("Carbapenemase VIM detected in a Pseudomonas aeruginosa from sputum.", {CPO}),
])
def test_carbapenemase_with_enterobacterales(text, expected):
    assert reportable(text) == expected


DENGUE, MALARIA, CAMPY, PERTUSSIS = "38362002", "61462000", "86500004", "27836007"


@pytest.mark.parametrize("text, expected", [
    # dengue NS1 antigen and the malaria blood film named without their organism
    ("Sốt ngày thứ 3, đau cơ; test nhanh NS1 dương tính, tiểu cầu 90 G/L.", {DENGUE}),
    ("Fever day 2 after Bali, NS1 antigen positive, platelets dropping.", {DENGUE}),
    ("Orthostatic on arrival, given NS 1 L bolus, lactate positive trend down.", set()),
    ("Retour de Côte d'Ivoire, fièvre à 40 ; goutte épaisse positive, parasitémie 2 %.", {MALARIA}),
    ("Viajero febril, gota gruesa positiva con parasitemia baja.", {MALARIA}),
    ("Febrile traveller from Ghana. Thick smear: no parasites seen, repeat in 12 h.", set()),
    ("Gota gruesa: negativa para Plasmodium.", set()),
    # "cx" for culture before the organism it grew
    ("Diarrhea after a barbecue. Stool cx: Campylobacter jejuni.", {CAMPY}),
    # a test "for" a disease whose result the same sentence gives is not a plan
    ("Hisopado para tos ferina con PCR detectable, se indica azitromicina.", {PERTUSSIS}),
    ("Nasopharyngeal swab for pertussis: PCR detectable.", {PERTUSSIS}),
    ("Nasopharyngeal swab for pertussis: PCR not detectable.", set()),
    # short sentences of another language than English keep their result words
    ("GeneXpert del esputo: MTB detectado, resistencia a rifampicina no detectada.", {TB}),
    ("Coproculture positive à Salmonella enteritidis.", {SAL}),
])
def test_named_tests_and_short_sentences(text, expected):
    assert reportable(text) == expected


@pytest.mark.parametrize("text, language", [
    ("Hisopado nasofaríngeo con Bordetella aislada.", "es"),
    ("Suspeita de caxumba no irmão.", "pt"),
    ("Goutte épaisse positive.", "fr"),
    ("Cấy đờm ra vi khuẩn lao.", "vi"),
])
def test_short_clinical_sentences_get_their_language(text, language):
    assert ContextEngine.default().assess(text, (0, 1)).language == language


@pytest.mark.parametrize("text, expected", [
    # an organism "in / from" a culture or the CSF is what the culture found
    ("Neonate with fever; Listeria monocytogenes in both blood cultures.", {"4241002"}),
    ("Petechial rash and stiff neck. N. meningitidis in CSF.", {"23511006"}),
    ("Neisseria meningitidis no líquor, iniciada ceftriaxona.", {"23511006"}),
    ("Septic shock, strep pneumo from 2 blood cx, on ceftriaxone.", {"406617004"}),
    ("No growth in CSF culture at 48 h; meningococcal disease ruled out.", set()),
])
def test_organism_in_a_culture_or_csf(text, expected):
    assert reportable(text) == expected


@pytest.mark.parametrize("text, expected", [
    # "CT+, GC-" is one list of results: each sign belongs to the abbreviation it is glued to
    ("Partner notified. Urethral swab today: CT+, GC+.", {CT, GC}),
    ("Partner notified. Urethral swab today: CT-, GC+.", {GC}),
    ("Resultados del exudado: CT+, NG-.", {CT}),
    ("Bilan IST : HIV-, RPR+ 1:16, TPHA+.", {"76272004"}),
])
def test_comma_separated_sign_results(text, expected):
    assert reportable(text) == expected
