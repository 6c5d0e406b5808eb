"""Issue 13 precision, round 3b: a labelled value holding several mentions, a differential left to its work-up,
another person as the subject after a conjunction, vaccination verbs (en/es/pt/fr/vi).

- A labelled value ("Assessment:", "Impression:", "Diagnóstico:", "Chẩn đoán:") is one condition item read at its
  longest piece; a mention the note itself excludes ("not measles", "Shigella ... excluded", a later sentence
  "Sibling has pertussis") must leave the name of that item, which reportability matches against disease names.
- "Considered X; serology negative", "we checked for X", "we worried about X", "X faisait partie du diagnostic
  différentiel": the differential is left to the work-up that follows it.
- "because the mother is HBsAg positive", "porque la madre es ...": another person is the subject.
- "vacunarse contra", "vacinar-se contra", "se faire vacciner contre", "bảo vệ em bé khỏi".
- a suspicion not confirmed ("was not confirmed", "no confirmado por", "n'a pas été confirmée", "không được xác
  nhận"; not "not yet confirmed, IgM pending"), findings that argue against it ("argues against", "va en contra
  de", "fala contra", "va contre", "nothing to suggest", "nada sugiere"), a protective titre.

Positives keep a labelled diagnosis beside an excluded one, and "negative-pressure room" is not a negative result.
Sentences written for this test.
"""

from __future__ import annotations

from conftest import sentence_tests

TRAPS = {
    "labelled_value": [
        ("en", "Assessment: Fever and rash, not measles (IgM negative), likely parvovirus."),
        ("en", "Impression: viral gastroenteritis. Shigella and Salmonella were excluded by stool culture."),
        ("en", "Diagnosis: acute otitis media. Sibling has pertussis."),
        ("en", "Assessment: URI. Hepatitis B vaccine series started."),
        ("es", "Diagnóstico: gastroenteritis viral. Se descartó Salmonella por coprocultivo."),
        ("pt", "Diagnóstico: gastroenterite viral. Salmonella foi descartada pela coprocultura."),
        ("fr", "Diagnostic : gastro-entérite virale. Salmonelle écartée par la coproculture."),
        ("vi", "Chẩn đoán: viêm dạ dày ruột do virus. Đã loại trừ thương hàn."),
    ],
    "differential_workup": [
        ("en", "Considered Lyme disease; serology negative, symptoms resolved without treatment."),
        ("en", "Because of the fever and recent travel to Kenya we checked for malaria. Three thick and thin smears "
               "were negative and the rapid test was negative as well. Final diagnosis: influenza A."),
        ("en", "We worried about pertussis because of the paroxysmal cough, but the nasopharyngeal PCR was negative."),
        ("fr", "La tuberculose faisait partie du diagnostic différentiel, mais trois examens de crachats sont négatifs."),
    ],
    "other_subject": [
        ("en", "The infant got HBIG and the first hepatitis B vaccine dose within 12 hours of birth because the "
               "mother is HBsAg positive."),
    ],
    "not_confirmed_or_argued_against": [
        ("en", "Measles could not be confirmed; IgM and PCR negative."),
        ("en", "Measles not supported by serology."),
        ("en", "The normal chest film argues against tuberculosis."),
        ("en", "Nothing to suggest meningococcal disease."),
        ("es", "Sarampión no confirmado por laboratorio."),
        ("es", "No se confirmó tos ferina; PCR negativa."),
        ("es", "La radiografía normal va en contra de tuberculosis."),
        ("es", "Nada sugiere enfermedad meningocócica."),
        ("pt", "Sarampo não confirmado pelo laboratório."),
        ("pt", "A radiografia normal fala contra tuberculose."),
        ("pt", "Nada sugere doença meningocócica."),
        ("fr", "La coqueluche n'a pas été confirmée ; PCR négative."),
        ("fr", "La radiographie normale va contre une tuberculose."),
        ("fr", "Rien n'évoque une infection à méningocoque."),
        ("fr", "Le tableau n'évoque pas une rougeole."),
        ("vi", "Sởi không được xác nhận."),
        ("vi", "Chưa xác định được ho gà, PCR âm tính."),
    ],
    "protective_titre": [
        ("en", "Seroprotected against measles."),
        ("es", "Anti-HBs 120 mUI/mL, protegido frente a hepatitis B."),
        ("pt", "Título protetor contra sarampo."),
        ("fr", "Titre protecteur contre la rougeole."),
    ],
    "vaccination_verb": [
        ("es", "Acude para vacunarse contra la fiebre amarilla antes de viajar a Brasil."),
        ("vi", "Thai 29 tuần; tiêm Tdap để bảo vệ em bé khỏi ho gà."),
    ],
}

POSITIVES = [
    ("en", "Diagnosis: measles. Contacts were vaccinated."),
    ("en", "Assessment: suspected Marburg virus disease — negative-pressure room, specimens sent."),
    ("en", "Impression: salmonellosis. Norovirus excluded."),
    ("en", "Dx: measles, rubella ruled out."),
    ("en", "Assessment: probable dengue, not malaria (smear negative)."),
    ("es", "Diagnóstico: salmonelosis. Norovirus descartado."),
    ("pt", "Diagnóstico: salmonelose. Norovírus descartado."),
    ("fr", "Diagnostic : salmonellose. Norovirus écarté."),
    ("vi", "Chẩn đoán: thương hàn. Đã loại trừ sốt rét."),
    ("en", "The infant is febrile because he has pertussis, confirmed by PCR."),
    ("en", "Measles suspected, not yet confirmed; IgM pending."),
    ("en", "Measles confirmed; rubella not confirmed."),
    ("vi", "Nghi sởi, chưa xác định, đang chờ kết quả IgM."),
    ("fr", "Infection à méningocoque confirmée ; rien n'évoque une rougeole."),
    ("en", "Tetanus with trismus; tetanus immune globulin given."),
    ("en", "Diphtheria, started on diphtheria antitoxin."),
]

test_trap_reports_nothing, test_current_case_still_reports = sentence_tests(TRAPS, POSITIVES)
