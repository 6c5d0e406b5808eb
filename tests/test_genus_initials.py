"""One genus-initial rule (text/initials.py) for the ConText segmenter, the criteria sentence stop and the agent's
proposal guard: "E. coli", "S. Typhi", "P. falciparum", "N. gonorrhoeae" are not cut, in five languages, while a
type letter or a capital letter before a new sentence ("... type B. The ...") still ends one. Sentences written for
this test."""

from __future__ import annotations

import pytest

from cliniq_agent.agent.propose import _phrase_span
from cliniq_agent.text.context.engine import ContextEngine
from cliniq_agent.text.criteria.sentences import sentences
from cliniq_agent.text.initials import genus_initial_at

ONE_SENTENCE = [
    "Stool culture grew E. coli O157 and the patient was admitted.",                       # en
    "Hemocultivo con S. Typhi sensible a ceftriaxona.",                                    # es
    "Frottis positif à P. falciparum avec une parasitémie de 2 %.",                         # fr
    "Cultura uretral com N. gonorrhoeae resistente à ciprofloxacina.",                       # pt
    "Cấy máu mọc S. Typhi, đã điều trị ceftriaxone.",                                        # vi
    "Xét nghiệm máu thấy P. falciparum, bệnh nhân sốt cao.",                                 # vi
]

TWO_SENTENCES = [
    ("Vaccinated against Haemophilus influenzae type B.", "The rash started on Monday."),   # en
    ("Antecedente de hepatitis B.", "El paciente refiere fiebre."),                         # es
    ("Méningocoque du sérogroupe W.", "Le contact a reçu une prophylaxie."),                # fr
    ("Vacinado contra hepatite B.", "A febre começou ontem."),                              # pt
    ("Tiền sử viêm gan B.", "Bệnh nhân sốt hai ngày."),                                     # vi
]


def _engine() -> ContextEngine:
    return ContextEngine.default()


@pytest.mark.parametrize("text", ONE_SENTENCE)
def test_a_genus_initial_keeps_the_sentence_whole(text: str) -> None:
    assert genus_initial_at(text, text.index(". "))
    assert [text[a:b] for a, b in _engine().segments(text)] == [text]
    assert [text[a:b] for a, b in sentences(text, 0, len(text))] == [text[:-1]]


@pytest.mark.parametrize("first,second", TWO_SENTENCES)
def test_a_type_letter_or_a_new_sentence_still_cuts(first: str, second: str) -> None:
    text = f"{first} {second}"
    assert not genus_initial_at(text, len(first) - 1)
    assert [text[a:b] for a, b in _engine().segments(text)] == [first, second]
    assert [text[a:b] for a, b in sentences(text, 0, len(text))] == [first[:-1], " " + second[:-1]]


def test_the_proposal_guard_reads_the_same_rule() -> None:
    text = "Sospecha de infección por E. coli productor de toxina Shiga."
    start = text.index("infección")
    assert _phrase_span(text, (start, text.index(". coli")), 8) is None
    text = "Antecedente de hepatitis B. The rest is normal."
    start = text.index("hepatitis")
    assert _phrase_span(text, (start, text.index(". The")), 8) == (start, text.index(". The"))
