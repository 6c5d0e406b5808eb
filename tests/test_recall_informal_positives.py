"""Issue 13 recall (n13r): real cases written the way clinicians and labs talk, for every nationally notifiable
condition group (STIs, hepatitis, VPDs, enterics, vector-borne, zoonoses, respiratory, HAI/AR organisms, mycoses,
parasites, bioterrorism agents) in all five languages.

tests/data/recall_notes/informal_positives.jsonl holds the probe notes, each written for this set (none comes from an
evaluation set): informal results ("came back +", "(+)", "+ve", "salió positivo", "deu reagente", "revenu positif",
"dương tính", "grew", "ID'd as", "positivou", "a poussé à"), organism names and lab shorthand instead of disease names
(CT/GC/NG, HBsAg, AFB with MTB, NS1, DENV-2, ZIKV, CHIKV, EEE IgM, STEC/stx2, Crypto Ag in stool, Cocci CF, Lepto
MAT, SFGR, KPC/NDM/OXA-48, C. auris ...), with and without the disease name. Each row's ``accept`` lists the
nationally notifiable condition codes any one of which makes the note a hit (jurisdiction-only conditions are left
out: the product does not report them by default).

The trap sentences beside them keep the same words silent where they are not a case: imaging "CT", a nasogastric
"NG", cryptococcal antigen in CSF, Gram-positive cocci, "Ct" cycle thresholds, negated results, immunity lines, an
unvaccinated label line that is still prophylaxis, another person's death.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import assert_reports_nothing, reportable

PROBES = Path(__file__).parent / "data" / "recall_notes" / "informal_positives.jsonl"
ROWS = [json.loads(line) for line in PROBES.read_text(encoding="utf-8").splitlines() if line.strip()]

# Written the way clinicians talk, yet read apart by the engine for now (kept visible, not hidden):
# the invasive-site word and the organism sit in different comma clauses ("blood culture bottles turned positive,
# speciated as S. pneumoniae"; "Staph aureus from the wound, vancomycin-resistant").
KNOWN_MISSES: set[str] = set()


def test_probe_set_covers_every_group_and_language():
    categories = {row["category"] for row in ROWS}
    assert {"sti", "vpd", "ent", "vec", "zoo", "resp", "hai", "bt", "short", "talk", "abbr"} <= categories
    for category in ("sti", "vpd", "ent", "vec", "zoo", "resp", "hai", "talk"):
        assert {row["lang"] for row in ROWS if row["category"] == category} == {"en", "es", "pt", "fr", "vi"}
    assert {"multi"} <= categories    # 2-3 sentence notes: history first, the result later
    assert len({row["id"] for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", [r for r in ROWS if r["id"] not in KNOWN_MISSES], ids=lambda r: r["id"])
def test_informal_positive_reports_its_condition(row):
    found = reportable(row["text"])
    assert found & set(row["accept"]), f"{row['text']!r} -> {sorted(found)}"


@pytest.mark.parametrize("text, expected", [
    # a CT / GC / NG panel written as a list of results: each result belongs to the name before it
    ("CT (+), GC (-). Doxycycline.", {"240589008"}),
    ("CT negative, GC positive; ceftriaxone.", {"15628003"}),
    ("CT positivo, GC negativo.", {"240589008"}),
    ("PCR CT négative, NG positive sur l'écouvillon vaginal.", {"15628003"}),
    ("Urine NAAT back + for CT, GC neg.", {"240589008"}),
    # an unvaccinated case written under a disease label
    ("Tetanus: jaw stiffness and spasms after a garden injury, never had a booster.", {"76902006"}),
    ("Tétano: espasmos e trismo após corte no pé, nunca vacinado.", {"76902006"}),
    ("Tétanos : trismus et contractures après une plaie, jamais vacciné.", {"76902006"}),
    # the clinician's words for an influenza death and virus abbreviations
    ("Influenza B in a 9-year-old who died in the PICU; reported as a pediatric influenza death.", {"661761000124109"}),
    ("SARS2 NAAT + on admission.", {"840539006"}),
    ("Encephalitis, EEE IgM positive in serum.", {"416925005"}),
    ("DENV-3 RNA detected; returned from Cuba.", {"38362002"}),
])
def test_panel_lists_unvaccinated_labels_and_virus_abbreviations(text, expected):
    assert reportable(text) == expected


@pytest.mark.parametrize("text", [
    # "NG" a nasogastric tube or a unit, "CT" a scan, "Ct" a cycle threshold
    "NG tube placed; aspirate positive for occult blood.",
    "Troponin 45 ng/L, positive delta on repeat, urine culture pending.",
    "CT positive for appendicitis, surgery consulted; GC/CT NAAT pending.",
    "SARS-CoV-2 PCR not detected; prior Ct 32.",
    # "crypto" cryptococcal antigen in CSF, "cocci" on a Gram stain
    "CSF crypto Ag positive 1:512, amphotericin started.",
    "Blood culture: Gram-positive cocci in clusters, ID pending.",
    "Lepto MAT negative on paired sera.",
    # negative results under the new abbreviations and result words
    "DENV NS1 and RT-PCR negative.",
    "ZIKV RNA not detected in urine.",
    "EEE IgM negative in CSF.",
    # an immunity or prophylaxis label line stays silent even when a word is negated
    "Rubella: not immune, MMR after delivery.",
    "Rabies: no PEP given yet, bat found in the bedroom.",
    "Raiva: sem profilaxia ainda, morcego no quarto.",
    # another person's death
    "Her grandfather died of influenza in 1990.",
    # "salió" / "deu" before a negative word or not about a result
    "El coprocultivo salió negativo para Shigella y Salmonella.",
    "A coprocultura deu negativa para Salmonella.",
    "Se descartó shigelosis; la paciente salió de alta el martes.",
    # microscopy that found nothing ("no visualizado", "não visualizado")
    "Plasmodium no visualizado en la gota gruesa.",
    "Plasmodium não visualizado na gota espessa; repetir em 12 horas.",
    "Babesia não visualizada no esfregaço.",
])
def test_same_words_where_there_is_no_case(text):
    assert_reports_nothing("trap", text)
