"""Issue 13, round 5 (n14g): constructions of the narrative reading that were known gaps, each as a class in the
languages it applies to, with near-miss sentences that must not change. Every sentence was written for this test
(no text of any test or evaluation set); each asserts the exact set of reported condition codes.
"""

from __future__ import annotations

import pytest

from conftest import reportable

TYPHOID, SYPHILIS, LATENT_TB, TB, MPOX, RABIES = "4834000", "76272004", "11999007", "56717001", "359814004", "14168008"
MENINGO, GAS, IPD, HIB, LEPTO, DENGUE = "23511006", "406614006", "406617004", "406583002", "77377001", "38362002"
MEASLES, RUBELLA, PERTUSSIS, CHIK, VRSA, HEP_A = "14189004", "36653000", "27836007", "111864006", "404681006", "40468003"
SMALLPOX, MUMPS, VARICELLA, SALMONELLA = "67924001", "36989005", "38907003", "302231008"


#: still wrong: a strict xfail each, so a fix says so
KNOWN_GAPS: set[str] = set()


def _params(rows: list) -> list:
    out = []
    for row in rows:
        text = row[0] if isinstance(row, tuple) else row
        marks = [pytest.mark.xfail(reason="known gap", strict=True)] if text in KNOWN_GAPS else []
        out.append(pytest.param(*row, marks=marks) if isinstance(row, tuple) else pytest.param(row, marks=marks))
    return out


def _check(text: str, expected: set[str]) -> None:
    assert reportable(text) == expected, text


# 1. An oral typhoid vaccine in lay words (capsules / pills / pill pack taken before travel) is a vaccination.
ORAL_TYPHOID_VACCINE = [
    "Picked up the typhoid pill pack at the pharmacy; flying to Lahore on the 12th.",
    "Finished my typhoid capsules yesterday (one every other day), leaving for Nepal Monday.",
    "Travel visit: hep A #1 given, oral typhoid capsules dispensed, malaria tablets discussed.",
    "Recogí en la farmacia las cápsulas contra la tifoidea para el viaje a Bolivia.",
    "Já tomei as cápsulas contra a febre tifoide antes da viagem para a Índia.",
    "Gélules contre la typhoïde prises avant le départ pour le Sénégal ; bon voyage.",
    "Đã uống viên ngừa thương hàn trước chuyến đi Ấn Độ.",
]
TYPHOID_CASES = [
    ("Typhoid fever: blood culture grew Salmonella Typhi; discharged on azithromycin tablets.", {TYPHOID}),
    ("Fiebre tifoidea confirmada por hemocultivo; alta con comprimidos de ciprofloxacino.", {TYPHOID}),
    ("Took typhoid capsules before the trip but now febrile; blood culture grew S. Typhi.", {TYPHOID}),
]


@pytest.mark.parametrize("text", _params(ORAL_TYPHOID_VACCINE))
def test_oral_typhoid_vaccine_in_lay_words_is_a_vaccination(text):
    _check(text, set())


@pytest.mark.parametrize("text, expected", _params(TYPHOID_CASES))
def test_typhoid_cases_beside_the_oral_vaccine_still_report(text, expected):
    _check(text, expected)


# batch 3: "<disease>-like" is a resemblance, not the disease
DISEASE_LIKE = [
    ("Smallpox-like lesions on both hands; HSV-1 PCR positive.", set()),
    ("Measles-like rash two days after amoxicillin, afebrile.", set()),
    ("Dengue-like illness after travel; dengue NS1 positive.", {DENGUE}),
]


@pytest.mark.parametrize("text, expected", _params(DISEASE_LIKE))
def test_disease_like_is_a_resemblance(text, expected):
    _check(text, expected)


# 1. Serofast syphilis: a stable low non-treponemal titre after treatment is not a new case.
SEROFAST = [
    "History of syphilis treated with benzathine penicillin in 2018. RPR 1:2, unchanged from last year. "
    "No new partners.",
    "Syphilis treated 2016; serofast, RPR stable at 1:4 on yearly checks.",
    "Sífilis tratada hace 5 años. VDRL 1:4 persistente, sin cambios respecto a los controles previos.",
    "Sífilis tratada em 2019 com penicilina benzatina. VDRL 1:2 estável (cicatriz sorológica).",
    "Syphilis traitée en 2017. VDRL 1/2 stable, cicatrice sérologique. Pas de nouvelle exposition.",
    "Giang mai đã điều trị đủ năm 2018. VDRL 1:2 không đổi so với lần trước.",
]
SYPHILIS_CASES = [
    ("Syphilis treated in 2019. RPR now 1:64, up from 1:2 last year: reinfection, retreat.", {SYPHILIS}),
    ("Sífilis tratada en 2017; ahora VDRL 1:32 (antes 1:2): reinfección.", {SYPHILIS}),
    ("RPR 1:2 reactive, TP-PA positive, never treated: latent syphilis.", {SYPHILIS}),
    ("Giang mai kỳ hai, RPR 1:64, TPHA dương tính.", {SYPHILIS}),
]


@pytest.mark.parametrize("text", _params(SEROFAST))
def test_serofast_titre_after_treated_syphilis_is_not_a_new_case(text):
    _check(text, set())


@pytest.mark.parametrize("text, expected", _params(SYPHILIS_CASES))
def test_rising_or_untreated_titres_still_report(text, expected):
    _check(text, expected)


# 1. A colon ends the scope of "no" when the negated phrase is complete before it ("no symptoms: latent TB").
COLON_AFTER_NEGATED_PHRASE = [
    ("No travel: locally acquired dengue, NS1 positive.", {DENGUE}),
    ("No jaundice: acute hepatitis A, IgM anti-HAV positive.", {HEP_A}),
    ("Sin viajes: dengue autóctono, NS1 positivo.", {DENGUE}),
    ("Sem viagens recentes: dengue autóctone.", {DENGUE}),
    ("Pas de voyage : dengue autochtone, NS1 positif.", {DENGUE}),
    ("Không đi du lịch: sốt xuất huyết dengue, NS1 dương tính.", {DENGUE}),
]
COLON_LISTS_STAY_NEGATED = [
    "No history of: tuberculosis, hepatitis B.",
    "Negative for: HIV, syphilis.",
    "Sin antecedentes de: tuberculosis ni hepatitis B.",
    "No symptoms of TB: IGRA drawn for the work screen.",
    "Measles: negative. Rubella: negative.",
    "Sans antécédent de : tuberculose.",
    "Sin antecedentes: tuberculosis, hepatitis B.",
    "Không có tiền sử: lao, viêm gan B.",
]


@pytest.mark.parametrize("text, expected", _params(COLON_AFTER_NEGATED_PHRASE))
def test_colon_after_a_complete_negated_phrase_ends_its_scope(text, expected):
    _check(text, expected)


@pytest.mark.parametrize("text", [
    "Contact of a TB case. IGRA positive, no symptoms: latent TB infection.",
    "Contacto de TB. IGRA positivo, sin síntomas: infección tuberculosa latente.",
])
def test_latent_tb_after_a_negated_symptom_colon_is_present(text):
    """Latent TB infection is jurisdictional (kb/terminology/condition_profile.tsv), so it is not in
    ``reportable``; the construction shows in its assertion."""
    from cliniq_agent.api import extract
    record = extract(text, use_llm=False, persist_trace=False).record
    assert [c.assertion.value for c in record.conditions if c.snomed == LATENT_TB] == ["present"], text


@pytest.mark.parametrize("text", _params(COLON_LISTS_STAY_NEGATED))
def test_negation_introducing_a_colon_list_still_negates(text):
    _check(text, set())


# 1. Specimen words before the organism: "Lesion swab mpox PCR positive" is a lab statement.
SPECIMEN_FIRST = [
    ("Lesion swab mpox PCR positive despite one JYNNEOS dose.", {MPOX}),
    ("NP swab pertussis PCR positive, azithromycin started.", {PERTUSSIS}),
    ("Throat swab measles PCR detected; airborne isolation.", {MEASLES}),
    ("Hisopado de lesión PCR mpox positiva.", {MPOX}),
    ("Swab de lesão PCR mpox positivo.", {MPOX}),
    ("Écouvillon de lésion PCR mpox positive.", {MPOX}),
]
# a vaccine named as failed does not make the result a vaccine or immunity test (a breakthrough infection)
BREAKTHROUGH = [
    ("Mpox PCR positive from a genital lesion despite two JYNNEOS doses.", {MPOX}),
    ("Varicella PCR positive from a vesicle despite 2 doses of varicella vaccine.", {VARICELLA}),
    ("Sarampión IgM positiva a pesar de dos dosis de vacuna.", {MEASLES}),
    ("PCR mpox positive sur une lésion malgré la vaccination.", {MPOX}),
]
BREAKTHROUGH_TRAPS = [
    "Mpox vaccine (JYNNEOS) dose 2 given today; no lesions.",
    "Varicella vaccine #2 given, varicella IgG positive (immune).",
]
SPECIMEN_FIRST_NEGATIVE = [
    "Lesion swab mpox PCR negative; HSV-2 detected.",
    "NP swab pertussis PCR not detected.",
    "Hisopado de lesión PCR mpox negativa.",
]


@pytest.mark.parametrize("text, expected", _params(SPECIMEN_FIRST))
def test_specimen_words_before_the_organism(text, expected):
    _check(text, expected)


@pytest.mark.parametrize("text, expected", _params(BREAKTHROUGH))
def test_breakthrough_infection_despite_a_vaccine(text, expected):
    _check(text, expected)


@pytest.mark.parametrize("text", _params(BREAKTHROUGH_TRAPS))
def test_vaccine_given_or_immunity_reports_nothing(text):
    _check(text, set())


@pytest.mark.parametrize("text", _params(SPECIMEN_FIRST_NEGATIVE))
def test_specimen_words_before_a_negative_result(text):
    _check(text, set())


# 1. French "rage" is rabies in French notes only.
FRENCH_RABIES = [
    "Morsure de chien il y a 2 mois au Maroc, sans prophylaxie. Hydrophobie, agitation. Rage confirmée par RT-PCR.",
    "Décès par rage furieuse après une morsure de chauve-souris non traitée.",
    "Diagnostic retenu : rage humaine, encéphalite.",
]
RAGE_TRAPS = [
    "Road rage incident; patient assaulted, facial laceration sutured.",
    "Outbursts of rage at home, sleeps poorly; no fever.",
    "Morsure de chien errant : vaccination contre la rage débutée (J0), immunoglobulines antirabiques.",
    "Pas de rage : le chien est vivant et vacciné après 10 jours d'observation.",
]


@pytest.mark.parametrize("text", _params(FRENCH_RABIES))
def test_french_rage_is_rabies(text):
    _check(text, {RABIES})


@pytest.mark.parametrize("text", _params(RAGE_TRAPS))
def test_rage_as_anger_or_rabies_prophylaxis_reports_nothing(text):
    _check(text, set())


# 1. A negative test for the genus rules out a suspected species ("orthopoxvirus PCR negative" for mpox).
GENUS_TEST_NEGATIVE = [
    "Suspected mpox; orthopoxvirus PCR negative, it was herpes.",
    "Variole du singe suspectée ; PCR orthopoxvirus négative, c'était un herpès.",
    "Sospecha de viruela símica; PCR de orthopoxvirus negativa.",
    "Suspeita de mpox; PCR para orthopoxvirus negativo.",
    "Nghi đậu mùa khỉ, PCR orthopoxvirus âm tính.",
    "Suspected typhoid fever; Salmonella blood cultures negative x2.",
    "Sospecha de fiebre tifoidea; hemocultivos negativos para Salmonella.",
]
GENUS_TEST_POSITIVE = [
    ("Suspected mpox; orthopoxvirus PCR positive, clade II confirmed by the state lab.", {MPOX}),
    ("Suspected mpox; orthopoxvirus PCR negative, but the mpox-specific PCR came back positive.", {MPOX}),
]


@pytest.mark.parametrize("text", _params(GENUS_TEST_NEGATIVE))
def test_negative_genus_test_rules_out_the_suspected_species(text):
    _check(text, set())


@pytest.mark.parametrize("text, expected", _params(GENUS_TEST_POSITIVE))
def test_genus_test_positive_or_species_test_positive_still_reports(text, expected):
    _check(text, expected)


# 2. A suspicion superseded by another organism's culture result.
SUPERSEDED_BY_ORGANISM = [
    ("Initially treated as meningococcal sepsis; blood cultures grew S. pyogenes instead.", {GAS}),
    ("Presumed meningococcal meningitis at first, but the CSF culture grew Streptococcus pneumoniae.", {IPD}),
    ("Inicialmente se trató como sepsis meningocócica; los hemocultivos aislaron Streptococcus pneumoniae.", {IPD}),
    ("Tratado inicialmente como meningite meningocócica; a cultura do líquor cresceu Haemophilus influenzae.",
     {HIB}),
    ("Suspicion initiale de méningococcémie ; les hémocultures ont isolé Streptococcus pyogenes.", {GAS}),
    ("Treated initially as meningococcemia; blood cultures grew Streptococcus pneumoniae.", {IPD}),
    ("Ban đầu nghi sốt xuất huyết, cấy máu mọc Salmonella Typhi.", {TYPHOID}),
]
NOT_SUPERSEDED = [
    ("Suspected meningococcal sepsis; blood cultures grew Neisseria meningitidis.", {MENINGO}),
    ("Meningococcal meningitis confirmed by CSF PCR; blood cultures also grew S. pneumoniae.", {MENINGO, IPD}),
]


@pytest.mark.parametrize("text, expected", _params(SUPERSEDED_BY_ORGANISM + NOT_SUPERSEDED))
def test_suspicion_superseded_by_another_organism(text, expected):
    _check(text, expected)


# 3. "Exclude X, Y positive": X is excluded, Y (with its own positive result) reports.
EXCLUDE_THEN_POSITIVE = [
    ("Loại trừ sởi, rubella IgM dương tính.", {RUBELLA}),
    ("Loại trừ sốt xuất huyết, leptospira IgM dương tính.", {LEPTO}),
    ("Ruled out measles, rubella IgM positive.", {RUBELLA}),
    ("Excluded dengue, chikungunya IgM positive.", {CHIK}),
    ("Se descartó sarampión, rubéola IgM positiva.", {RUBELLA}),
    ("Descartado sarampo, rubéola IgM positiva.", {RUBELLA}),
]
EXCLUDED_LISTS = [
    "Loại trừ sởi, rubella.",
    "Descartado sarampo e rubéola.",
    "Descartado sarampión.",
    "Loại trừ sởi, rubella IgM âm tính.",
]


@pytest.mark.parametrize("text, expected", _params(EXCLUDE_THEN_POSITIVE))
def test_exclusion_then_a_positive_item(text, expected):
    _check(text, expected)


@pytest.mark.parametrize("text", _params(EXCLUDED_LISTS))
def test_excluded_lists_stay_excluded(text):
    _check(text, set())


# 4. "X, recovered" / "Hx of X, resolved": a past episode, not this encounter's case. "Recovering from X" is the
# current episode.
PAST_EPISODE = [
    "Problem list: pertussis, recovered; asthma.",
    "Hx of hepatitis A, resolved.",
    "Hepatitis A infection, resolved. Here today for a sprained ankle.",
    "Problemas: tuberculosis pulmonar, curada; diabetes tipo 2.",
    "Hepatitis A, resuelta. Consulta por lumbalgia.",
    "Tuberculose pulmonar, curada. Vem por dor lombar.",
    "Tuberculose pulmonaire, guérie. Consulte pour une lombalgie.",
    "Lao phổi, đã khỏi. Đến khám vì đau lưng.",
]
CURRENT_EPISODE = [
    ("Recovering from pertussis, PCR positive two weeks ago; cough improving.", {PERTUSSIS}),
    ("Still recovering from measles; IgM positive on the 3rd.", {MEASLES}),
    ("En recuperación de una hepatitis A aguda (IgM anti-VHA positiva).", {HEP_A}),
    ("Em recuperação de dengue, NS1 positivo há 5 dias.", {DENGUE}),
]


@pytest.mark.parametrize("text", _params(PAST_EPISODE))
def test_recovered_or_resolved_past_episode_reports_nothing(text):
    _check(text, set())


@pytest.mark.parametrize("text, expected", _params(CURRENT_EPISODE))
def test_recovering_from_the_current_episode_still_reports(text, expected):
    _check(text, expected)


# 5. The invasive site / the resistance and the organism in different comma clauses of one sentence.
SITE_AND_ORGANISM_APART = [
    ("Both blood culture bottles turned positive, speciated as Streptococcus pneumoniae.", {IPD}),
    ("Blood cultures flagged positive overnight, identified as Haemophilus influenzae.", {HIB}),
    ("Staph aureus from the wound, vancomycin-resistant (MIC >= 16), sent to the state lab.", {VRSA}),
    ("Hemocultivos positivos a las 18 horas, identificado como Streptococcus pneumoniae.", {IPD}),
    ("Wound culture grew S. aureus, vancomycin resistant (MIC 32).", {VRSA}),
    ("Blood culture bottles flagged at 14 h, Gram-positive diplococci, identified as Streptococcus pneumoniae.", {IPD}),
]
SITE_APART_TRAPS = [
    "Sputum culture positive, speciated as Streptococcus pneumoniae.",
    "Staph aureus from the wound, vancomycin-sensitive, MRSA screen negative.",
    "Blood cultures negative, throat swab grew Streptococcus pneumoniae.",
    "S. aureus and vancomycin-resistant Enterococcus faecium in the wound culture.",
    "Blood cultures positive, throat swab grew S. pneumoniae.",
]


@pytest.mark.parametrize("text, expected", _params(SITE_AND_ORGANISM_APART))
def test_site_and_organism_in_different_clauses(text, expected):
    _check(text, expected)


@pytest.mark.parametrize("text", _params(SITE_APART_TRAPS))
def test_non_sterile_site_or_susceptible_organism(text):
    _check(text, set())
