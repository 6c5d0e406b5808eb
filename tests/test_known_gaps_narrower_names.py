"""Issue 13 known gaps (1) and (3): a general or look-alike word must not become a reportable disease through the
code index. (1) A name that says more than the text ("viral fever" → viral hemorrhagic fever, "viral hepatitis" →
hepatitis A, "food poisoning" → a named food poisoning): kb/rag/retrieval.toml [scores] narrower. (3) A two-edit
fuzzy match that changes a word's start or end ("viriasis" → vibriosis, "hepatosis" → hepatitis). Sentences
written for this test in en/es/pt/fr/vi; the positives check the named diseases and real misspellings still code."""

from __future__ import annotations

import pytest

from conftest import sentence_tests

TRAPS: dict[str, list[tuple[str, str]]] = {
    'generic_name': [
        ('en', 'Impression: viral fever, supportive care.'),
        ('en', 'Assessment: acute viral fever syndrome, fluids at home.'),
        ('en', 'Diagnosis: viral hepatitis, type not yet determined.'),
        ('en', 'Diagnosis: bacterial meningitis, cultures pending.'),
        ('en', 'Diagnosis: food poisoning after a buffet.'),
        ('en', 'Diagnosis: viral encephalitis.'),
        ('en', 'Diagnosis: infectious diarrhea, oral rehydration.'),
        ('es', 'Diagnóstico: fiebre viral, manejo sintomático.'),
        ('es', 'Diagnóstico: hepatitis viral, pendiente serología.'),
        ('es', 'Diagnóstico: meningitis bacteriana.'),
        ('es', 'Diagnóstico: intoxicación alimentaria.'),
        ('pt', 'Diagnóstico: febre viral, sintomáticos.'),
        ('pt', 'Diagnóstico: hepatite viral a esclarecer.'),
        ('pt', 'Diagnóstico: intoxicação alimentar.'),
        ('fr', 'Diagnostic : fièvre virale, traitement symptomatique.'),
        ('fr', 'Diagnostic : hépatite virale, bilan en cours.'),
        ('fr', 'Diagnostic : méningite bactérienne.'),
        ('fr', 'Diagnostic : intoxication alimentaire.'),
        ('vi', 'Chẩn đoán: sốt siêu vi, điều trị triệu chứng.'),
        ('vi', 'Chẩn đoán: viêm gan siêu vi.'),
        ('vi', 'Chẩn đoán: ngộ độc thực phẩm.'),
    ],
    'look_alike_word': [
        ('es', 'Diagnóstico: viriasis, reposo e hidratación.'),
        ('es', 'Impresión: virosis, control en 48 horas.'),
        ('pt', 'Diagnóstico: virose, hidratação oral.'),
        ('fr', 'Diagnostic : virose saisonnière.'),
        ('vi', 'Chẩn đoán: nhiễm siêu vi.'),
        ('en', 'Diagnosis: hepatosis on ultrasound.'),
    ],
}

POSITIVES: list[tuple[str, str]] = [
    ('en', 'Diagnosis: viral hemorrhagic fever (Ebola).'),
    ('en', 'Diagnosis: hepatitis A, IgM positive.'),
    ('en', 'Diagnosis: Legionnaires disease.'),
    ('en', 'Diagnosis: foodborne botulism.'),
    ('en', 'Diagnosis: West Nile encephalitis.'),
    ('es', 'Diagnóstico: hepatitis B crónica.'),
    ('es', 'Diagnóstico: sarampión.'),
    ('pt', 'Diagnóstico: febre hemorrágica viral.'),
    ('fr', 'Diagnostic : méningite à méningocoque.'),
    ('vi', 'Chẩn đoán: sốt xuất huyết dengue.'),
]

test_trap_reports_nothing, test_case_still_reports = sentence_tests(TRAPS, POSITIVES)


@pytest.mark.parametrize(("query", "wrong"), [
    ('viral fever', '240523007'), ('fièvre virale', '240523007'), ('viral hepatitis', '40468003'),
    ('food poisoning', '65154009'), ('viriasis', '398557001'),
])
def test_index_does_not_accept_a_narrower_or_look_alike_name(query: str, wrong: str) -> None:
    from cliniq_agent.agent.settings import agent_settings
    from cliniq_agent.rag import CodeIndex

    hits = CodeIndex.open(progress=False).search(query, system='snomed', k=4)
    assert all(hit.code != wrong or hit.score < agent_settings().ask for hit in hits), hits


@pytest.mark.parametrize(("query", "code"), [
    ('legionairres disease', '26726000'), ('shigellossis', '36188001'), ('pertusis', '27836007'),
    ('hemorrhagic fever', '240523007'), ('hepatits B', '66071002'),
])
def test_index_still_accepts_misspellings_and_full_names(query: str, code: str) -> None:
    from cliniq_agent.agent.settings import agent_settings
    from cliniq_agent.rag import CodeIndex

    top = CodeIndex.open(progress=False).search(query, system='snomed', k=4)[0]
    assert top.code == code and top.score >= agent_settings().accept, top
