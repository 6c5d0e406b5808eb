"""Issue 13 recall (n13r): results and organisms written the way clinicians talk.

Every sentence was written for this test (none comes from an evaluation set). Each exercises one general piece:
- an organism named by its genus initial and species ("L. monocytogenes", "C. jejuni", "S. sonnei",
  "V. vulnificus"), "Hib", and the Spanish / Portuguese "meningococo" (kb/reportability/text_links.tsv);
- "CT" for Chlamydia trachomatis in a clause about STI testing, never in one about imaging (text_links.tsv);
- "screened for X: positive" and "NAAT for N. gonorrhoeae positive": a test done *for* a disease whose result the
  sentence gives is not a plan or a possibility — the result words decide (kb/context/triggers_en.tsv), also when
  the organism is written with an abbreviation's full stop.
"""

import pytest

from cliniq_agent.api import extract

CT, GC, LIS, CAMPY, SHIG, VIB, HIB, MENING = ("240589008", "15628003", "4241002", "86500004", "36188001",
                                              "398557001", "406583002", "23511006")


def _reportable(text: str) -> set[str]:
    return {r.snomed for r in extract(text, use_llm=False, persist_trace=False).record.reportable}


@pytest.mark.parametrize("text, expected", [
    ("Febrile neonate; L. monocytogenes grew from both blood culture bottles.", {LIS}),
    ("Two days of bloody stools after a farm visit, C. jejuni isolated on stool culture.", {CAMPY}),
    ("Daycare outbreak work-up: S. flexneri isolated from his stool.", {SHIG}),
    ("Leg cellulitis after wading in brackish water; wound culture grew V. vulnificus.", {VIB}),
    ("Unimmunised 2-year-old with epiglottitis, Hib isolated from the blood culture.", {HIB}),
    ("Lactante con petequias; se aisló meningococo en el hemocultivo.", {MENING}),
    ("Rigidez de nuca, meningococo isolado no líquor; quimioprofilaxia dos contactos.", {MENING}),
])
def test_abbreviated_organism_names(text, expected):
    assert _reportable(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Annual STI screen today - CT +, GC neg; azithromycin given.", {CT}),
    ("First-void urine NAAT positive for CT; partner therapy offered.", {CT}),
    ("Screened for chlamydia at the college clinic: positive. Doxycycline for 7 days.", {CT}),
    ("Pharyngeal NAAT for N. gonorrhoeae positive, ceftriaxone 500 mg IM.", {GC}),
])
def test_sti_screening_results(text, expected):
    assert _reportable(text) == expected


@pytest.mark.parametrize("text", [
    "CT abdomen positive for acute appendicitis; surgery consulted.",
    "Head CT negative; urine drug screen positive for cannabis.",
    "Screened for chlamydia and gonorrhea today; NAAT results pending.",
    "Screened for chlamydia: negative.",
    "Pharyngeal NAAT for N. gonorrhoeae negative.",
])
def test_no_case_from_imaging_or_pending_screens(text):
    assert _reportable(text) == set()
