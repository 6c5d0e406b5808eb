"""Trap constructions of issue 13 (narrative precision), one per ConText row family, in en/es/pt/fr/vi:
a test done *for* a disease with no result yet, a relative or another person as the subject of the sentence,
travel to / living in an area where a disease circulates, post-exposure prophylaxis, the conditional of
hearsay ("un voisin aurait ..."). Each must report nothing; the positives check that a result written in the
same sentence still reports the disease. Sentences written for this test (none from any test set).
"""

from __future__ import annotations

from conftest import sentence_tests

TRAPS = {
    "test_for_pending": [
        ("en", "Throat swab for diphtheria culture taken this morning; awaiting the lab."),
        ("en", "Serology for leptospirosis drawn, will call with results."),
        ("es", "Se enviaron muestras para leptospirosis; en espera."),
        ("pt", "Amostra para leptospirose enviada ao laboratório; aguardamos."),
        ("fr", "Sérologie pour la leptospirose envoyée ; on attend."),
        ("vi", "Đã gửi xét nghiệm bệnh xoắn khuẩn vàng da, chưa có kết quả."),
    ],
    "relative_subject": [
        ("en", "Husband recently started treatment for tuberculosis."),
        ("es", "Esposo en tratamiento por tuberculosis desde marzo."),
        ("pt", "Marido em tratamento para tuberculose desde março."),
        ("fr", "Mari sous traitement pour une tuberculose depuis mars."),
        ("vi", "Chồng đang điều trị bệnh lao từ tháng ba."),
        ("pt", "A vizinha contou que o marido dela pegou tuberculose."),
    ],
    "area": [
        ("es", "Regresó hace poco de una zona con fiebre amarilla; sin síntomas."),
        ("pt", "Voltou de uma área endêmica de malária há uma semana; afebril."),
        ("fr", "Séjour dans un pays où sévit le choléra ; pas de diarrhée."),
        ("vi", "Vừa đi công tác ở vùng dịch tả về, không tiêu chảy."),
    ],
    "pep": [
        ("es", "Inició profilaxis posexposición para VIH tras una punción accidental."),
        ("pt", "Profilaxia pós-exposição ao HIV prescrita após acidente com agulha."),
        ("fr", "Traitement post-exposition VIH prescrit après accident d'exposition au sang."),
    ],
    "suspicion_then_negative_workup": [
        ("en", "Leptospirosis was suspected after the flood; MAT and PCR negative, discharged."),
        ("en", "Concern for meningococcal sepsis. Blood cultures no growth at 48 h."),
        ("es", "Se sospechó leptospirosis, pero la PCR y la serología resultaron negativas."),
        ("pt", "Suspeitou-se de leptospirose; sorologia e PCR negativas."),
        ("fr", "Leptospirose suspectée, mais sérologie et PCR négatives."),
        ("vi", "Nghi bệnh xoắn khuẩn vàng da nhưng xét nghiệm PCR âm tính."),
    ],
    "vaccine_list": [
        ("es", "Hoy se aplicaron vacunas hexavalente y varicela."),
        ("pt", "Aplicadas hoje as vacinas pentavalente e varicela."),
        ("fr", "Vaccin varicelle et rappel DTP réalisés."),
    ],
    "lay_guess": [
        ("vi", "Cô ấy nói chắc là bị lậu vì bạn tình có triệu chứng."),
        ("pt", "Improvável que seja tuberculose, radiografia normal."),
    ],
    "partner_result_reported": [
        ("en", "Her roommate keeps calling it swine flu; afebrile, lungs clear."),
        ("fr", "Son compagnon l'a informée qu'il était positif pour la gonorrhée ; examen normal."),
        ("vi", "Chồng nói anh ấy bị lậu; chị không có triệu chứng."),
    ],
    "hearsay_conditional": [
        ("es", "Un compañero de clase tendría tuberculosis, según los rumores."),
        ("pt", "Um colega de trabalho teria tuberculose."),
        ("fr", "Un collègue de bureau aurait une tuberculose."),
    ],
}

POSITIVES = [
    ("en", "Serology for leptospirosis came back positive."),
    ("es", "PCR para leptospirosis positiva."),
    ("pt", "PCR para leptospirose positivo."),
    ("fr", "PCR pour la leptospirose positive."),
    ("en", "Husband with cough; patient's sputum culture grew M. tuberculosis."),
    ("en", "Leptospirosis suspected; PCR negative but MAT positive at 1:800."),
    ("es", "Se sospechó leptospirosis y la PCR fue positiva."),
    ("en", "Suspected measles. Rubella IgM negative, measles IgM positive."),
    ("en", "Suspected measles. Rubella IgM negative."),      # the negative test is another organism's
    ("en", "Suspected measles; IgM pending."),
]

test_trap_construction_reports_nothing, test_result_in_the_sentence_still_reports = sentence_tests(TRAPS, POSITIVES)
