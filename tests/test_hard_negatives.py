"""End-to-end hard negatives in five languages: ruled out, family history, vaccination against, differential only.
Sentences written for this test. Each note mentions a reportable disease only in a non-asserted way, so the
extraction (no LLM) must list no condition, and the trace must say why the mention was left out."""

from __future__ import annotations

import pytest

from cliniq_agent import extract

NOTES = {
    ("en", "ruled_out"): "Seen for fever and rash. Measles was ruled out by negative IgM.",
    ("en", "family"): "Cough for a week. Her father has tuberculosis and is on treatment.",
    ("en", "vaccination"): "Well-child visit. Measles vaccine given today.",
    ("en", "differential"): "Fever after travel. Differential includes dengue versus influenza; tests pending.",
    ("es", "ruled_out"): "Consulta por fiebre y exantema. Se descarta sarampión por IgM negativa.",
    ("es", "family"): "Tos de una semana. Su padre tiene tuberculosis en tratamiento.",
    ("es", "vaccination"): "Control de niño sano. Se aplicó la vacuna contra el sarampión.",
    ("es", "differential"): "Fiebre tras un viaje. Diagnóstico diferencial: dengue, pendiente de pruebas.",
    ("pt", "ruled_out"): "Consulta por febre e exantema. Sarampo descartado por IgM negativa.",
    ("pt", "family"): "Tosse há uma semana. O pai tem tuberculose em tratamento.",
    ("pt", "vaccination"): "Consulta de rotina. Aplicada vacina contra sarampo hoje.",
    ("pt", "differential"): "Febre após viagem. Diagnóstico diferencial: dengue, aguardando exames.",
    ("fr", "ruled_out"): "Consultation pour fièvre et éruption. Rougeole écartée, IgM négative.",
    ("fr", "family"): "Toux depuis une semaine. Son père a la tuberculose, sous traitement.",
    ("fr", "vaccination"): "Visite de routine. Vaccin contre la rougeole administré aujourd'hui.",
    ("fr", "differential"): "Fièvre au retour de voyage. Diagnostic différentiel : dengue, examens en attente.",
    ("vi", "ruled_out"): "Khám vì sốt và phát ban. Đã loại trừ bệnh sởi.",
    ("vi", "family"): "Ho một tuần. Bố bệnh nhân bị bệnh lao đang điều trị.",
    ("vi", "vaccination"): "Khám định kỳ. Đã tiêm vắc xin phòng bệnh sởi hôm nay.",
    ("vi", "differential"): "Sốt sau chuyến đi. Chẩn đoán phân biệt: sốt xuất huyết dengue, chờ xét nghiệm.",
}


REASON = {"ruled_out": "ruled_out", "family": "family", "vaccination": "vaccination", "differential": "possible"}


@pytest.mark.parametrize(("language", "kind"), sorted(NOTES))
def test_hard_negative_gives_no_condition(language: str, kind: str) -> None:
    result = extract(NOTES[(language, kind)], use_llm=False, persist_trace=False)
    assert result.record.conditions == [], (language, kind, [c.name for c in result.record.conditions])
    assert result.record.reportable == []
    reasons = [e.reason for e in result.excluded if e.kind == "conditions"]
    assert reasons and all(r.startswith(REASON[kind]) for r in reasons), reasons   # found, and left out for that reason
