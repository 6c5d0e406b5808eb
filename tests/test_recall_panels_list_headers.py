"""Issue 13 recall (n13r): panel headers and vaccine-list lines.

Every sentence was written for this test (none comes from an evaluation set). Two general pieces:
- a panel header naming its analytes ("GC/CT NAAT:", "Chlamydia/gonorrhea NAAT:") before one result per analyte:
  the header's organisms name the test, each analyte takes its own result (text/criteria/panels.py);
- a vaccine-list line ("Vaccines:", "Vacunas:", "Vacinas:", "Vaccins :", "Tiêm chủng:") ends at the ";" or
  sentence stop after which a clause states a finding of its own ("…; pertussis confirmed by PCR"): that clause is
  prose, not part of the list (kb/context/triggers_*.tsv *_term_finding rows, the ConText engine's
  ``finding_clause_start``, the immunization label line's end).
"""

import pytest

from conftest import reportable


CT, GC, HBV, HAV, HCV, COVID, PERT, CAMPY, SHIG, SAL, MEASLES = (
    "240589008", "15628003", "66071002", "40468003", "50711007", "840539006", "27836007", "86500004", "36188001",
    "302231008", "14189004")


@pytest.mark.parametrize("text, expected", [
    ("GC/CT NAAT: CT detected, GC not detected.", {CT}),
    ("CT/GC NAAT: GC positive, CT negative.", {GC}),
    ("Urine GC/CT NAAT (first void): CT positive, GC negative. Doxycycline prescribed.", {CT}),
    ("GC/CT NAAT: GC detected; CT not detected.", {GC}),
    ("Labs today - GC/CT NAAT: GC positive, CT negative.", {GC}),
    ("Chlamydia/gonorrhea NAAT: gonorrhea positive, chlamydia negative.", {GC}),
    ("Chlamydia/gonorrhea NAAT: chlamydia negative, gonorrhea negative.", set()),
    ("Acute hepatitis panel: HAV IgM negative, HBsAg positive, anti-HBc IgM positive, HCV Ab negative.", {HBV}),
    ("Hepatitis panel: HBsAg negative, anti-HBs positive, anti-HBc total negative.", set()),
    ("Hepatitis panel: HAV IgM negative, HBsAg negative, HCV RNA detected.", {HCV}),
    ("Respiratory panel: SARS-CoV-2 not detected, influenza A detected.", set()),
    ("GI PCR panel: Campylobacter detected; Salmonella, Shigella, STEC not detected.", {CAMPY}),
    ("Dépistage IST (PCR urinaire) : gonocoque détecté, chlamydia non détectée.", {GC}),
    ("Tamizaje ITS: gonorrea positiva; clamidia negativa.", {GC}),
    ("Rastreio IST: gonorreia detectada; clamídia não detectada.", {GC}),
    ("Xét nghiệm STI: Chlamydia dương tính, lậu âm tính.", {CT}),
    ("Panel tiêu hóa: Shigella dương tính, Salmonella âm tính.", {SHIG}),
])
def test_each_panel_analyte_takes_its_own_result(text, expected):
    assert reportable(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Chlamydia NAAT: positive.", {CT}),               # no analyte after the colon: the header keeps the result
    ("GC/CT NAAT: both positive.", {CT, GC}),
    ("Stool culture and PCR panel: Salmonella positive, Shigella negative.", {SAL}),
])
def test_a_header_without_per_analyte_results_still_reports(text, expected):
    assert reportable(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Vaccines: DTaP incomplete; PCR today confirms pertussis.", {PERT}),
    ("Vaccines: DTaP incomplete. Nasopharyngeal PCR positive for Bordetella pertussis.", {PERT}),
    ("Immunizations: behind schedule; diagnosed with pertussis by PCR.", {PERT}),
    ("Vaccines: never received hepatitis B vaccine; HBsAg positive with anti-HBc IgM positive.", {HBV}),
    ("Vacunas: sin triple viral; sarampión confirmado por IgM.", {MEASLES}),
    ("Vacinas: esquema incompleto; coqueluche confirmada por PCR.", {PERT}),
    ("Vaccins : pas de ROR. Rougeole confirmée par IgM positive.", {MEASLES}),
    ("Tiêm chủng: chưa đủ mũi; ho gà xác định bằng PCR dương tính.", {PERT}),
])
def test_a_finding_after_a_vaccine_list_is_reported(text, expected):
    assert reportable(text) == expected


@pytest.mark.parametrize("text", [
    "Vaccines: MMR 2019; hepatitis B #3 given today.",
    "Vaccines: Tdap today; hepatitis A dose 2 now due.",
    "Vaccines: hep B series x3; anti-HBs reactive (immune).",
    "Vaccination: yellow fever 2018; typhoid vaccine today before travel.",
    "Vacunas: al día; hepatitis A aplicada hoy.",
    "Vacinas: hepatite B em dia; febre amarela aplicada hoje.",
    "Vaccins : ROR à jour ; hépatite B faite aujourd'hui.",
    "Tiêm chủng: viêm gan B đủ mũi; sởi hiện đã tiêm 2 mũi.",
])
def test_vaccine_lists_stay_vaccines(text):
    assert reportable(text) == set()
