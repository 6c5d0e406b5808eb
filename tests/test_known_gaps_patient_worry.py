"""Issue 13 known gap (2): the patient's own worry, fear or request for testing, written without a subject
("Worried about HIV after unprotected sex", "Wants STI screening, including HIV and syphilis"), is not a
clinician's suspicion: kb/context/triggers_*.tsv rows *_hyp_worry_bare and *_hyp_wants_screening. A clinician's
worry ("we are worried about X") stays a suspicion, and a result in the same note still reports. Sentences written
for this test in en/es/pt/fr/vi."""

from __future__ import annotations

from conftest import sentence_tests

TRAPS: dict[str, list[tuple[str, str]]] = {
    'patient_worry': [
        ('en', 'Worried about HIV after a condom broke last weekend; test pending.'),
        ('en', 'Anxious about hepatitis C after sharing a razor; antibody test ordered.'),
        ('en', 'Fears she has syphilis; RPR ordered.'),
        ('en', 'Scared of rabies after a bat flew in the bedroom; no bite found.'),
        ('es', 'Preocupado por VIH tras un encuentro sin preservativo; prueba pendiente.'),
        ('es', 'Asustada por la posibilidad de sífilis; VDRL solicitado.'),
        ('pt', 'Assustada pela possibilidade de sífilis; VDRL solicitado.'),
        ('pt', 'Preocupado com HIV após relação desprotegida; teste pendente.'),
        ('fr', 'Inquiet au sujet du VIH après un rapport non protégé ; test en attente.'),
        ('fr', 'Angoissée à propos du VIH ; sérologie en attente.'),
        ('vi', 'Lo lắng bị nhiễm HIV sau quan hệ không an toàn; đang chờ xét nghiệm.'),
        ('vi', 'Sợ mắc giang mai sau quan hệ; đã lấy máu xét nghiệm.'),
    ],
    'request_for_testing': [
        ('en', 'Wants STI screening, including HIV and syphilis.'),
        ('en', 'Requesting full STD panel incl HIV, syphilis, gonorrhea.'),
        ('en', 'Here for STI testing, HIV and hepatitis B included.'),
        ('es', 'Acude para chequeo de ITS: VIH, sífilis y hepatitis B.'),
        ('pt', 'Veio para testagem de HIV e hepatite C.'),
        ('pt', 'Quer fazer exames de HIV e sífilis após relação sem preservativo.'),
        ('fr', 'Vient pour un bilan IST : VIH, syphilis, hépatite B.'),
        ('vi', 'Muốn xét nghiệm sàng lọc HIV và giang mai.'),
    ],
}

POSITIVES: list[tuple[str, str]] = [
    ('en', 'We are worried about meningococcal disease given petechiae; ceftriaxone started.'),
    ('en', 'Worried about HIV after unprotected sex; 4th generation HIV test reactive, confirmed by differentiation assay.'),
    ('en', 'Requests STI screening; chlamydia NAAT positive today.'),
    ('en', 'Afraid of needles. Diagnosis: pertussis, PCR positive.'),
    ('es', 'Estamos preocupados por meningitis meningocócica; se inicia ceftriaxona.'),
    ('es', 'Preocupada, con fiebre; dengue NS1 positivo.'),
    ('en', 'Nervous about the results. Measles IgM positive.'),
]

test_trap_reports_nothing, test_case_still_reports = sentence_tests(TRAPS, POSITIVES)
