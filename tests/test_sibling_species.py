"""A genus followed by another species' epithet is another organism (kb/lookup/other_species.tsv).

Chlamydia (Chlamydophila) pneumoniae is a respiratory pathogen reported on syndromic respiratory PCR panels and in
atypical-pneumonia serology; it is not the sexually transmitted C. trachomatis infection (the bare word "chlamydia"
in the terminology) nor psittacosis (the code index ranks "Chlamydophila psittaci" close to it). Every sentence was
written for this test; the same organisms written as C. trachomatis or C. psittaci still report.
"""

import pytest

from conftest import reportable
from cliniq_agent.text.lookup.species import other_species

CT, PSITTACOSIS = "240589008", "75116005"


@pytest.mark.parametrize("text", [
    "Assessment: Chlamydia pneumoniae pneumonia, treated with azithromycin.",
    "Dx: community-acquired pneumonia due to Chlamydophila pneumoniae.",
    "Chlamydia pneumoniae IgM positive; atypical pneumonia.",
    "Respiratory PCR panel: Chlamydia pneumoniae detected, influenza A not detected.",
    "Neumonía atípica por Chlamydia pneumoniae.",
    "Pneumonia atípica por Chlamydophila pneumoniae, PCR positiva.",
    "Pneumonie à Chlamydia pneumoniae, PCR positive.",
    "Viêm phổi do Chlamydia pneumoniae.",
])
def test_chlamydia_pneumoniae_is_neither_trachomatis_nor_psittacosis(text):
    assert reportable(text) & {CT, PSITTACOSIS} == set(), text


@pytest.mark.parametrize("text, code", [
    ("Chlamydia trachomatis NAAT positive.", CT),
    ("Urethritis; chlamydia detected by NAAT.", CT),
    ("Chlamydia positive on urine NAAT; partner notified.", CT),
    ("Chlamydia psittaci pneumonia after exposure to sick parrots.", PSITTACOSIS),
    ("Psitacosis por Chlamydophila psittaci confirmada por PCR.", PSITTACOSIS),
    ("Chlamydia NAAT positive; Mycoplasma pneumoniae IgM negative.", CT),
])
def test_the_species_themselves_still_report(text, code):
    assert code in reportable(text), text


def test_only_adjacent_words_form_a_binomial():
    assert other_species("Chlamydia pneumoniae", CT) == "chlamydia pneumoniae"
    assert other_species("CHLAMYDOPHILA PNEUMONIAE", PSITTACOSIS) == "chlamydophila pneumoniae"
    assert other_species("Chlamydia trachomatis and Mycoplasma pneumoniae", CT) is None
    assert other_species("Chlamydia psittaci", PSITTACOSIS) is None   # the species of that very condition
