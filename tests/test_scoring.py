"""The benchmark's scoring conventions."""

from __future__ import annotations

from cliniq_agent.eval.scoring import Counts, full_set, normalize_value, score_case


def test_codes_and_full_sets() -> None:
    gold = {"patient": {"name": "Ana Lima", "gender": "F", "dob": "1990-01-02"},
            "conditions": [{"snomed": "840539006"}], "labs": [{"loinc": "94500-6", "result": "Detected"}],
            "meds": [], "vitals": [{"name": "temp", "value": "39.6C"}, {"name": "spo2", "value": "98%"}]}
    pred = {"patient": {"name": "ana lima", "gender": "female", "dob": "01/02/1990"},
            "conditions": [{"snomed": "840539006", "icd10": "U07.1"}], "labs": [{"loinc": "94500-6", "result": "detected"}],
            "vitals": [{"name": "temp", "value": "39.6", "unit": "Cel"}, {"name": "spo2", "value": "98"}]}
    codes, full = Counts(), Counts()
    case, dropped = score_case(gold, pred, codes, full)
    assert (codes.tp, codes.fp, codes.fn) == (2, 1, 0)   # U07.1 is not in this gold
    assert (full.tp, full.fn) == (8, 0)
    assert case.extra == ["icd10:U07.1"] and dropped == 0


def test_invalid_codes_removed_from_both_sides() -> None:
    gold = {"labs": [{"loinc": "49672-8"}, {"loinc": "94500-6"}]}
    pred = {"labs": [{"loinc": "49672-8"}]}
    codes = Counts()
    _, dropped = score_case(gold, pred, codes)
    assert dropped == 2 and (codes.tp, codes.fp, codes.fn) == (0, 0, 1)


def test_unparseable_prediction_scores_empty() -> None:
    codes = Counts()
    score_case({"conditions": [{"snomed": "840539006"}]}, None, codes)
    assert (codes.tp, codes.fn) == (0, 1) and codes.f1 == 0.0


def test_value_normalisation() -> None:
    assert normalize_value("39.6C") == normalize_value("39.60") == "39.6"
    assert normalize_value("98%") == "98"
    items, _ = full_set({"vitals": [{"name": "hr", "value": "111"}]})
    assert ("vital", "hr", "111") in items
