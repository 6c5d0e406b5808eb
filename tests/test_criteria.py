"""Clinical-criteria tier: suspected conditions from a described picture, on notes written for these tests."""

from __future__ import annotations

import pytest

from cliniq_agent import extract
from cliniq_agent.text.context import ContextEngine
from cliniq_agent.text.criteria.definitions import case_definitions, finding_patterns
from cliniq_agent.text.criteria.matcher import find_findings
from cliniq_agent.terminology import TerminologyKB

POSITIVE = [
    # (expected SNOMED, note) — classic pictures, no disease named, in five languages
    ("14189004", "Patient: Kofi Mensah\nDOB: 2015-05-05\n\nED note: three days of high fever with cough and runny nose, "
                 "then a maculopapular rash that began at the hairline. Unvaccinated. Airborne isolation started."),
    ("14189004", "Paciente: Lucía Ramos\n\nNota: fiebre de 39 grados, conjuntivitis bilateral y un exantema morbiliforme "
                 "generalizado desde ayer. Se notificó a epidemiología."),
    ("27836007", "Paciente: Joana Lima\n\nLactente com tosse paroxística há três semanas, guincho inspiratório e episódios "
                 "de apneia com cianose. Coletado swab para PCR."),
    ("27836007", "Patient: Léo Martin\n\nNourrisson: quintes de toux depuis 15 jours, vomissements post-tussifs et apnées "
                 "nocturnes. Mise en isolement."),
    ("63650001", "Patient: Ravi Shah\n\nReturned from a flood area: profuse watery diarrhea, stools like rice water, "
                 "severe dehydration with poor skin turgor. IV fluids started."),
    ("36989005", "Paciente: Diego Torres\n\nTumefacción parotídea bilateral desde hace tres días, fiebre y orquitis derecha."),
    ("398565003", "Patient: Ann Cole\n\nAfter eating home-canned beans: symmetric descending flaccid paralysis, diplopia, "
                  "ptosis and dysphagia. Antitoxin requested."),
    ("276197005", "Paciente: Rosa Vidal\n\nDolor de garganta intenso y fiebre; en la faringe se ve una membrana grisácea "
                  "adherente que sangra al retirarla. Sin vacunas documentadas."),
    ("14168008", "Patient: Ken Ito\n\nAgitated and drooling; throat spasms on swallowing and fear of water. Bitten by a "
                 "stray dog abroad two months ago; no post-exposure prophylaxis."),
    ("76902006", "Benh nhan: Nam Le\n\nSau vet thuong dam dinh: cung ham, co cung toan than tung con. Chua tiem phong."),
]

NEGATIVE = [
    # symptoms negated or belonging to someone else
    "Patient: Mia Chen\n\nWell child visit. No fever, no cough, no rash, no conjunctivitis. Sister had a maculopapular "
    "rash and fever last week.",
    # a coded diagnosis explains the picture: inference never overrides it
    "Patient: Sam Ortiz\nDx: Kawasaki disease (SNOMED 75053002)\n\nFever for six days, conjunctival injection, "
    "cough, and a maculopapular rash on the trunk.",
    # the disease is explicitly ruled out
    "Patient: Ana Ruiz\n\nFever, cough and maculopapular rash. Measles was ruled out by negative IgM; drug eruption "
    "suspected.",
    # one sign only: not enough for pertussis without a duration
    "Patient: Tom Reed\n\nCough with one episode of post-tussive vomiting; lungs clear.",
    # hypothetical findings
    "Patient: Eva Holm\n\nDiscussed that if fever, cough or a maculopapular rash develop she should call.",
]


@pytest.mark.parametrize("expected,note", POSITIVE, ids=[f"{c}-{i}" for i, (c, _) in enumerate(POSITIVE)])
def test_classic_picture_is_suspected(expected: str, note: str) -> None:
    result = extract(note, use_llm=False, persist_trace=False)
    conditions = [c for c in result.record.conditions if c.snomed]
    assert [c.snomed for c in conditions] == [expected]
    condition = conditions[0]
    assert condition.status == "suspected"
    assert all(e.tier.value == "inferred" and e.rule.startswith("criteria:") for e in condition.evidence)
    assert all(note[e.span[0]:e.span[1]] == e.text for e in condition.evidence)


@pytest.mark.parametrize("note", NEGATIVE, ids=[f"neg-{i}" for i in range(len(NEGATIVE))])
def test_no_inference_against_the_text(note: str) -> None:
    result = extract(note, use_llm=False, persist_trace=False)
    inferred = [c for c in result.record.conditions
                if any(e.rule and e.rule.startswith("criteria:") for e in c.evidence)]
    assert inferred == []


def test_short_words_count_only_in_their_language() -> None:
    engine = ContextEngine.default()
    text = "Mr. Ho reports he is fine. Sot is his nickname."   # Vietnamese "ho" (cough), "sot" (fever) as names
    assert find_findings(text, [(0, len(text))], engine) == []


def test_definitions_point_at_reportable_conditions() -> None:
    kb = TerminologyKB.load()
    languages = {p.language for p in finding_patterns()}
    assert languages == {"en", "es", "pt", "fr", "vi", "any"}
    for definition in case_definitions():
        assert kb.condition(definition.condition) is not None, definition.id
        assert definition.source
        for group in definition.groups:   # every finding is written for all five languages (or "any")
            for finding in group.findings:
                langs = {p.language for p in finding_patterns() if p.finding == finding}
                assert langs == {"any"} or {"en", "es", "pt", "fr", "vi"} <= langs, finding


def test_suspected_condition_is_reported_with_lower_confidence() -> None:
    result = extract(POSITIVE[0][1], use_llm=False, persist_trace=False)
    confirmed = extract("Patient: Kofi Mensah\nDx: Measles (SNOMED 14189004)\n", use_llm=False, persist_trace=False)
    [suspected_entry] = result.record.reportable
    [confirmed_entry] = confirmed.record.reportable
    assert suspected_entry.snomed == confirmed_entry.snomed == "14189004"
    assert 0.5 <= suspected_entry.confidence < confirmed_entry.confidence
