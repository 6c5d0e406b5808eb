"""The fast path's training-data generator (scripts/generate_fastpath_data.py), run for real on the seed TRAIN
files with a small synthetic N: deterministic, no evaluation text, grounded targets in the short format."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import regex

from cliniq_agent.fastpath.output_format import parse_output
from cliniq_agent.fastpath.prompt import gemma_prompt, model_input
from cliniq_agent.validate import check_code

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "data" / "seed"
pytestmark = pytest.mark.skipif(not (SEED / "train-compact.jsonl").exists(), reason="../shared seed data not present")

# Cues that make a mention non-asserted in the generator's phrasings (checked per ';'-clause of a line).
NOT_ASSERTED = regex.compile(r"rule[sd]?\s+out|r/o|no evidence|family history|fhx|history of|hx of|excluded|"
                             r"negative for|denies|possible|unlikely|brother", regex.I)


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate_fastpath_data", REPO / "scripts" / "generate_fastpath_data.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their string annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    gen = _load_generator()
    first, second = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    for out in (first, second):
        gen.generate(SEED, out, n_synthetic=80, n_dev=20, seed=7, icd10_share=0.1)
    rows = {name: [json.loads(line) for line in (first / name).read_text(encoding="utf-8").splitlines()]
            for name in ("train.jsonl", "dev.jsonl")}
    vocab = json.loads((first / "vocabulary.json").read_text(encoding="utf-8"))
    return gen, first, second, rows, vocab


def _synthetic(rows):
    return [r for name in rows for r in rows[name] if r["source"] == "synthetic"]


def test_deterministic(generated):
    _, first, second, rows, _ = generated
    for name in ("train.jsonl", "dev.jsonl", "vocabulary.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert len(rows["dev.jsonl"]) == 20
    assert sum(r["source"] == "synthetic" for r in rows["train.jsonl"]) == 80


def test_a_different_seed_gives_different_notes(generated, tmp_path):
    gen, _, _, rows, _ = generated
    gen.generate(SEED, tmp_path, n_synthetic=10, n_dev=2, seed=8, icd10_share=0.1)
    other = [json.loads(line)["text"] for line in (tmp_path / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    mine = {r["text"] for r in _synthetic(rows)}
    assert not mine & set(other[-10:])


def test_no_evaluation_text(generated):
    _, _, _, rows, _ = generated
    evaluation = [json.loads(line)["conversations"][1]["content"]
                  for line in (SEED / "val-compact.jsonl").read_text(encoding="utf-8").splitlines()]
    for path in sorted(SEED.glob("test_cases*.jsonl")):
        evaluation += [json.loads(line)["user"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(evaluation) > 400
    texts = {r["text"] for name in rows for r in rows[name]}
    assert not texts & set(evaluation)
    evaluation_inputs = {model_input(text) for text in evaluation}
    assert not {model_input(r["text"]) for r in _synthetic(rows)} & evaluation_inputs
    train_inputs = {model_input(r["text"]) for r in rows["train.jsonl"]}
    assert not {model_input(r["text"]) for r in rows["dev.jsonl"]} & train_inputs  # dev is held out


def test_rows_and_targets_parse(generated):
    gen, _, _, rows, _ = generated
    for row in [*rows["train.jsonl"], *rows["dev.jsonl"]]:
        parsed, notes = parse_output(row["target"])
        assert parsed is not None, (row["id"], notes)
        assert json.dumps(json.loads(row["target"]), separators=(",", ":"), ensure_ascii=False) == row["target"]
        assert row["prompt_gemma"] == gemma_prompt(row["text"])
        assert row["prompt_smollm2"] == gen.smollm2_prompt(row["text"])
        assert model_input(row["text"]) in row["prompt_smollm2"]


def test_seed_part_keeps_gold_codes(generated):
    _, _, _, rows, _ = generated
    seed_rows = [r for r in rows["train.jsonl"] if r["source"] == "seed"]
    assert len(seed_rows) == 1650
    first = json.loads((SEED / "train-compact.jsonl").read_text(encoding="utf-8").splitlines()[0])
    gold = json.loads(first["conversations"][2]["content"])
    parsed, _ = parse_output(seed_rows[0]["target"])
    assert parsed.c == [c["snomed"] for c in gold["conditions"]]
    assert parsed.l == [lab["loinc"] for lab in gold["labs"]]
    assert parsed.m == [m["rxnorm"] for m in gold["meds"]]
    # seed codes are kept as given, check-digit failures included (5765008 fails Verhoeff)
    assert any("5765008" in json.loads(r["target"])["c"] for r in seed_rows)


def test_vocabulary_is_valid_and_from_train_only(generated):
    _, _, _, _, vocab = generated
    assert vocab["source_files"] == ["train-compact.jsonl", "train_v2_additions.jsonl"]
    for key, system in (("conditions", "snomed"), ("labs", "loinc"), ("meds", "rxnorm")):
        assert vocab[key], key
        assert all(check_code(system, code) is None for _, code in vocab[key])
    assert {d["code"] for d in vocab["dropped_invalid"]} >= {"5765008", "5061-1"}


def test_synthetic_codes_are_grounded_and_valid(generated):
    _, _, _, rows, vocab = generated
    names = {}
    for key in ("conditions", "labs", "meds"):
        for name, code in vocab[key]:
            names.setdefault(code, []).append(name.casefold())
    by_name = 0
    for row in _synthetic(rows):
        lines = model_input(row["text"]).splitlines()
        parsed, _ = parse_output(row["target"])
        for key, code in ([("c", c) for c in parsed.c] + [("l", lab) for lab in parsed.l]
                          + [("m", m) for m in parsed.m]):
            system = {"l": "loinc", "m": "rxnorm"}.get(key, "icd10" if code[0].isalpha() else "snomed")
            assert check_code(system, code) is None, (row["id"], code)
            if any(code in line for line in lines):
                continue
            assert any(name in line.casefold() for line in lines for name in names.get(code, [])), (row["id"], code)
            by_name += 1
    assert by_name > 0  # the set does teach name -> code for known items


def test_non_asserted_mentions_are_left_out_of_the_target(generated):
    """Ruled-out / negated / family-history mentions are written in some notes, but never answered in "c"."""
    _, _, _, rows, _ = generated
    seen_not_asserted = 0
    for row in _synthetic(rows):
        clauses = [c for line in model_input(row["text"]).splitlines() for c in line.split(";")]
        parsed, _ = parse_output(row["target"])
        seen_not_asserted += sum(bool(NOT_ASSERTED.search(c)) for c in clauses)
        for code in parsed.c:
            holding = [c for c in clauses if code in c]
            assert all(not NOT_ASSERTED.search(c) for c in holding), (row["id"], code, holding)
    assert seen_not_asserted > 0
