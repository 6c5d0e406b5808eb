"""Issue 13 precision, round 3: more trap constructions in en/es/pt/fr/vi that must report nothing.

- weak or denied suspicion: "low clinical suspicion of", "not suspicious for", "doubt this is", "baja sospecha de",
  "não se suspeita de", "faible suspicion de", "ít nghĩ" / "không nghĩ" (folded "nghĩ" = "nghi", the suspicion word);
- comparative likelihood: "X less likely (than Y)", "menos probable", "moins probable", "rather than", "plutôt que";
  a hypothesis "non retenue"; a first concern "ultimately diagnosed" as something else;
- vaccination without disease: a booster ("booster dose of", "tiêm nhắc"), a schedule ("esquema vacinal de",
  "schéma vaccinal"), a labelled value that is itself a vaccination phrase ("Diagnóstico: necesidad de vacunación
  contra ..."), an English immunity line that was read as Spanish ("Hepatitis B: vaccinated, immune.");
- screening as an act ("chlamydia screening", "rastreio de", "dépistage de", "sàng lọc") without a result;
- pre-travel chemoprophylaxis: a drug that also treats the disease, given for a trip still ahead.

The positives keep the current cases: a confirmed result, travel in the past, a screening result, the more likely
of two diagnoses, breakthrough disease in a vaccinated child. Sentences written for this test.
"""

from __future__ import annotations

from conftest import sentence_tests

TRAPS = {
    "weak_suspicion": [
        ("en", "Low clinical suspicion of measles."),
        ("en", "Not suspicious for tuberculosis on imaging."),
        ("en", "Measles is not suspected."),
        ("en", "Doubt this is pertussis."),
        ("es", "Baja sospecha de tos ferina."),
        ("es", "No se sospecha tuberculosis."),
        ("pt", "Baixa suspeita de tuberculose."),
        ("pt", "Não se suspeita de tuberculose."),
        ("fr", "Faible suspicion de tuberculose."),
        ("fr", "Pas de suspicion de tuberculose."),
        ("fr", "Aucun signe de tuberculose."),
        ("vi", "Ít nghĩ ho gà."),
        ("vi", "Không nghĩ ho gà."),
        ("en", "Low pretest probability for Lyme disease."),
        ("es", "Cuadro no compatible con dengue."),
        ("pt", "Quadro não compatível com dengue."),
        ("fr", "Tableau non compatible avec une dengue."),
        ("vi", "Không phù hợp với sốt xuất huyết."),
    ],
    "ruled_out_active_voice": [
        ("es", "Descartamos tos ferina."),
        ("pt", "Descartamos coqueluche."),
        ("pt", "Afastado diagnóstico de febre tifoide."),
        ("fr", "Nous avons écarté une coqueluche."),
        ("en", "Favour viral bronchiolitis over pertussis."),
    ],
    "less_likely": [
        ("en", "Chickenpox is less likely than hand, foot and mouth disease."),
        ("en", "Less likely: leptospirosis."),
        ("en", "Consistent with impetigo rather than varicella."),
        ("en", "Initially concerning for measles, ultimately diagnosed with parvovirus B19."),
        ("es", "Menos probable leptospirosis dado ausencia de exposición."),
        ("pt", "Menos provável leptospirose."),
        ("fr", "Leptospirose moins probable."),
        ("fr", "Hypothèse d'une brucellose non retenue."),
        ("fr", "Impétigo plutôt que varicelle."),
    ],
    "vaccination": [
        ("en", "Hepatitis B: vaccinated, immune."),
        ("en", "Hepatitis A: vaccinated."),
        ("en", "Needs hepatitis A vaccination before travel."),
        ("en", "Plan: hepatitis B vaccination series."),
        ("en", "Booster dose of tetanus-diphtheria given."),
        ("es", "Diagnóstico: necesidad de vacunación contra hepatitis A."),
        ("pt", "Diagnóstico: necessidade de vacinação contra hepatite A."),
        ("pt", "Esquema vacinal de hepatite B completo."),
        ("fr", "Schéma vaccinal hépatite B complet."),
        ("vi", "Tiêm nhắc uốn ván."),
        ("vi", "Tiêm nhắc ho gà cho phụ nữ mang thai."),
        ("en", "Varicella: two doses documented."),
        ("en", "Measles: MMR x2."),
        ("es", "Hepatitis B: vacunado."),
        ("vi", "Tiêm globulin miễn dịch viêm gan B cho trẻ sơ sinh."),
    ],
    "screening": [
        ("en", "Requests chlamydia screening; NAAT sent, results pending."),
        ("en", "Routine HIV screening offered and accepted."),
        ("pt", "Solicita rastreio de clamídia; PCR enviada, resultados pendentes."),
        ("fr", "Demande un dépistage de chlamydia ; PCR envoyée, résultats en attente."),
    ],
    "pretravel": [
        ("en", "Malaria: atovaquone-proguanil prescribed for the upcoming trip to Ghana."),
        ("en", "Malaria: chloroquine weekly for travel to Haiti."),
        ("en", "Prophylactic doxycycline for leptospirosis before the rafting trip."),
        ("en", "Primaquine terminal prophylaxis after return from a malaria area."),
        ("es", "Malaria: atovacuona-proguanil prescrito para el viaje."),
        ("pt", "Malária: atovaquona-proguanil prescrito para a viagem."),
        ("fr", "Paludisme : atovaquone-proguanil prescrit pour le voyage."),
        ("es", "Profilaxis con doxiciclina para leptospirosis."),
        ("pt", "Profilaxia com doxiciclina para leptospirose."),
        ("fr", "Prophylaxie par doxycycline contre la leptospirose."),
    ],
}

POSITIVES = [
    ("en", "Measles was considered and confirmed by a positive IgM."),
    ("en", "Breakthrough varicella in a vaccinated child."),
    ("en", "Falciparum malaria after travel to Ghana; smear positive."),
    ("en", "Malaria despite prophylaxis before the trip; thick smear positive for P. vivax."),
    ("en", "Chlamydia screening positive; treated with doxycycline."),
    ("en", "HIV screening reactive, confirmed by HIV-1/2 differentiation assay."),
    ("en", "Measles more likely than rubella given Koplik spots."),
    ("en", "Initially concerning for measles, ultimately confirmed by IgM."),
    ("en", "High suspicion for meningococcal disease, ceftriaxone started."),
    ("en", "Diagnosis: pertussis in an unvaccinated infant."),
    ("es", "Paludismo tras viaje a Guinea, gota gruesa positiva."),
    ("es", "Sarampión más probable que rubéola."),
    ("pt", "Malária após viagem a Angola, gota espessa positiva."),
    ("pt", "Rastreio de clamídia positivo."),
    ("fr", "Paludisme au retour d'un voyage au Mali, frottis positif."),
    ("fr", "Dépistage de chlamydia positif."),
    ("vi", "Sốt rét sau chuyến đi Châu Phi, lam máu dương tính."),
    ("vi", "Nghĩ nhiều đến ho gà, PCR dương tính."),
    ("vi", "Sàng lọc giang mai dương tính."),
    ("es", "Descartamos sarampión; rubéola confirmada por IgM."),
    ("fr", "Tableau compatible avec une dengue, NS1 positif."),
    ("vi", "Phù hợp với sốt xuất huyết dengue, NS1 dương tính."),
    ("en", "Leptospirosis despite doxycycline prophylaxis; MAT positive."),
    ("en", "Measles: IgM positive, two doses of MMR documented."),
    ("en", "Hepatitis B: HBsAg positive."),
]

test_trap_reports_nothing, test_current_case_still_reports = sentence_tests(TRAPS, POSITIVES)
