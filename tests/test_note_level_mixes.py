"""Issue 13, note-level interplay: how the statements of one short note (1-4 sentences) interact, in en/es/pt/fr/vi.

Each note mixes a condition the note confirms with something that must not report: a differential list whose
items get their own results in later sentences ("DDx: a, b, c. b smear positive. a negative"), an exclusion next
to another disease's result, a titre ending a sentence ("MAT 1:800. Dengue negative"), results joined by slashes
("Gonorrhea -/Chlamydia +", "chlamydia pos / gonorrhea neg"), a lab line in another language than the note's,
a vaccine schedule named by its disease
("esquema de hepatitis B completo"), a case in a vaccinated person ("varicela en niño vacunado"), a partner's
treatment. Every note must report exactly the expected conditions. Notes written for this test (none from any
test set).
"""

from __future__ import annotations

import pytest

from conftest import reportable

MEASLES, PERTUSSIS, MALARIA, DENGUE, LEPTO = "14189004", "27836007", "61462000", "38362002", "77377001"
ZIKA, CHIK, TYPHOID, LEGIONELLA, HCV = "3928002", "111864006", "4834000", "26726000", "50711007"
SYPHILIS, VARICELLA, MUMPS, RUBELLA, CHLAMYDIA = "76272004", "38907003", "36989005", "36653000", "240589008"
SHIGELLA, HIV = "36188001", "86406008"

NOTES = [
    # a differential list, then per-item results in later sentences
    ("en", "Differential: yellow fever, malaria, typhoid. Thin smear positive for P. ovale. Blood cultures sterile.", {MALARIA}),
    ("en", "DDx - dengue vs chikungunya. Chikungunya RT-PCR detected; dengue NS1 neg.", {CHIK}),
    ("en", "DDx: malaria, leptospirosis, rickettsia. Leptospira IgM ELISA positive. Malaria RDT negative.", {LEPTO}),
    ("en", "DDx: dengue, malaria. Leptospirosis also considered.", set()),
    ("es", "Diagnóstico diferencial: dengue, zika, chikungunya. RT-PCR para zika positiva en orina; dengue negativo.", {ZIKA}),
    ("es", "Dx diferencial: paludismo, dengue. Gota gruesa con P. vivax. NS1 negativo.", {MALARIA}),
    ("pt", "Diagnóstico diferencial: leptospirose, dengue e hantavirose. Sorologia para leptospirose reagente; NS1 negativo.", {LEPTO}),
    ("pt", "DD: dengue, zika, chikungunya. RT-PCR para chikungunya detectável no soro.", {CHIK}),
    ("fr", "Diagnostic différentiel : paludisme, dengue, typhoïde. Goutte épaisse positive à P. falciparum. Hémocultures stériles.", {MALARIA}),
    ("vi", "Chẩn đoán phân biệt: sốt rét, sốt xuất huyết. NS1 dương tính, lam máu âm tính.", {DENGUE}),
    # an exclusion header, then another disease's result
    ("en", "Excluded: tuberculosis, malaria. Legionella urine antigen positive.", {LEGIONELLA}),
    ("es", "Descartadas: tuberculosis y malaria. Antígeno urinario de Legionella positivo.", {LEGIONELLA}),
    ("fr", "Éliminés : tuberculose, paludisme. Antigène urinaire Legionella positif.", {LEGIONELLA}),
    # a titre at the end of a sentence is a result of that sentence only
    ("en", "Leptospira microagglutination 1:3200. Hantavirus IgM negative.", {LEPTO}),
    ("en", "VDRL 1:16. HIV 1/2 antigen-antibody test nonreactive.", {SYPHILIS}),
    ("pt", "Sífilis secundária, VDRL 1:64. Teste rápido para HIV não reagente.", {SYPHILIS}),
    ("es", "Microaglutinación para Leptospira 1:1600. Hantavirus negativo.", {LEPTO}),
    # results joined by slashes or commas, one negative word must not reach the other item
    ("en", "Gonorrhea -/Chlamydia +", {CHLAMYDIA}),
    ("en", "chlamydia pos / gonorrhea neg", {CHLAMYDIA}),
    ("en", "Shigella positive/Salmonella negative", {SHIGELLA}),
    ("es", "Gonorrea -/Clamidia +", {CHLAMYDIA}),
    ("pt", "HIV não reagente, HCV reagente", {HCV}),
    ("pt", "Gonorreia -/Clamídia +", {CHLAMYDIA}),
    ("es", "VIH no reactivo, VHC reactivo", {HCV}),
    ("fr", "Gonocoque -/Chlamydia +", {CHLAMYDIA}),
    # a vaccine schedule named by its disease beside a confirmed case of another disease
    ("es", "Tos ferina confirmada por PCR; esquema de hepatitis B completo.", {PERTUSSIS}),
    ("pt", "Sarampo com IgM reagente; esquema de hepatite B completo.", {MEASLES}),
    ("fr", "Rougeole confirmée par IgM ; vaccination hépatite B à jour.", {MEASLES}),
    ("es", "Vacunación hepatitis B completa. Paperas con PCR positiva.", {MUMPS}),
    # the disease in a vaccinated person is a case, not the vaccine
    ("es", "Sarampión en adolescente vacunado: IgM positiva.", {MEASLES}),
    ("pt", "Caxumba em criança vacinada, PCR positiva.", {MUMPS}),
    ("fr", "Varicelle chez un enfant vacciné, PCR VZV positive.", {VARICELLA}),
    # a lab line in another language than the note's
    ("es", "Niña de 6 años con tos en accesos y vómitos. Bordetella pertussis PCR: detected.", {PERTUSSIS}),
    ("pt", "Paciente com febre e mialgia após enchente. Lab: Leptospira IgM ELISA positive.", {LEPTO}),
    ("vi", "Bệnh nhân sốt cao, đau cơ. Kết quả: dengue NS1 positive.", {DENGUE}),
    # an inline numbered list on a labelled line: each item is its own clause
    ("en", "Assessment: 1. Mumps, buccal PCR confirmed 2. Hx of hepatitis A in childhood", {MUMPS}),
    ("es", "Impresión diagnóstica: 1. Sarampión confirmado por IgM 2. Antecedente de hepatitis A", {MEASLES}),
    # a partner's treatment beside the patient's own result
    ("en", "Chlamydia NAAT positive. Boyfriend reportedly treated for syphilis in May.", {CHLAMYDIA}),
    ("en", "Rubella IgM positive. Husband apparently diagnosed with mumps last week.", {RUBELLA}),
]


@pytest.mark.parametrize(("language", "text", "expected"), NOTES, ids=[f"{n[0]}-{i}" for i, n in enumerate(NOTES)])
def test_note_reports_exactly(language: str, text: str, expected: set[str]) -> None:
    assert reportable(text) == expected, f"{language}: {text!r}"
