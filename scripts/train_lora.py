#!/usr/bin/env python3
"""Train the fast path's LoRA adapter (transformers + PEFT) on the rows written by generate_fastpath_data.py.

Self-contained on purpose: the GPU device receives only the repo tree, so this imports nothing from
cliniq_agent. The prompts come ready-made in the data ("prompt_gemma" / "prompt_smollm2", built with
cliniq_agent.fastpath.prompt); the completion is the target followed by the family's end-of-turn token, and
only the completion tokens carry loss.

The base model is loaded from its GGUF file (transformers dequantizes it), so the adapter is trained against
exactly the weights llama.cpp runs (Q4_K_M / Q4_1 dequantized) and can be converted with convert_lora.py.

Writes to --out: adapter/ (PEFT adapter, weights saved as --save-dtype), hparams.json, train_log.json,
dev_eval.json (exact match, JSON validity, code F1 of greedy generations on dev.jsonl) and dev_predictions.jsonl.

Usage (device, see scripts/README.md for carrying the GGUF there):
  python3 scripts/train_lora.py --family gemma --base-gguf /root/gguf/gemma-3-270m-q4_k_m.gguf \
      --data build/fastpath_data --out $OUT/gemma [--epochs 2] [--batch-size 16] [--lr 2e-4]
Smoke test (CPU): ... --max-train 6 --max-steps 12 --lr 1e-3 --batch-size 2 --max-dev 2 --max-new-tokens 80
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

FAMILIES = {
    # family: (prompt field in the data, end-of-turn token appended to the target, prepend BOS?)
    "gemma": ("prompt_gemma", "<end_of_turn>", True),
    "smollm2": ("prompt_smollm2", "<|im_end|>", False),
}
TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class HParams:
    family: str
    base_gguf: str
    data: str
    epochs: float = 2.0
    lr: float = 2e-4
    batch_size: int = 16
    warmup_ratio: float = 0.05
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = tuple(TARGET_MODULES)
    max_len: int = 1024
    max_train: int = 0
    max_steps: int = 0
    max_dev: int = 300
    dev_batch_size: int = 32
    max_new_tokens: int = 200
    dtype: str = "auto"
    save_dtype: str = "float16"
    seed: int = 0
    log_every: int = 10


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def read_jsonl(path: Path, limit: int = 0) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[:limit] if limit else rows


def load_base(gguf: Path, dtype: torch.dtype, device: torch.device):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=dtype)
    return tokenizer, model.to(device)


def special_id(tokenizer, token: str) -> int:
    ids = tokenizer.encode(token, add_special_tokens=False)
    if len(ids) != 1:
        raise SystemExit(f"the tokenizer splits {token!r} into {ids}: wrong family or tokenizer")
    return ids[0]


def encode(rows: list[dict], tokenizer, family: str, max_len: int) -> tuple[list[dict], int]:
    """Token ids per row: prompt (no loss) + target and end-of-turn (loss). Over-long rows are dropped, counted."""
    prompt_key, end_token, bos = FAMILIES[family]
    examples, dropped = [], 0
    for row in rows:
        prompt = tokenizer.encode(row[prompt_key], add_special_tokens=False)
        if bos:
            prompt = [tokenizer.bos_token_id] + prompt
        completion = tokenizer.encode(row["target"] + end_token, add_special_tokens=False)
        if len(prompt) + len(completion) > max_len:
            dropped += 1
            continue
        examples.append({"id": row["id"], "input_ids": prompt + completion, "n_prompt": len(prompt)})
    return examples, dropped


def length_batches(examples: list[dict], batch_size: int, rng: random.Random) -> list[list[dict]]:
    """Batch by length (less padding): sort with a little noise, cut into batches, shuffle the batch order."""
    order = sorted(examples, key=lambda e: len(e["input_ids"]) + rng.uniform(0, 8))
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(batch: list[dict], pad_id: int, device: torch.device) -> dict[str, torch.Tensor]:
    width = max(len(e["input_ids"]) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, example in enumerate(batch):
        tokens = torch.tensor(example["input_ids"], dtype=torch.long)
        ids[row, :len(tokens)] = tokens
        mask[row, :len(tokens)] = 1
        labels[row, example["n_prompt"]:len(tokens)] = tokens[example["n_prompt"]:]
    return {"input_ids": ids.to(device), "attention_mask": mask.to(device), "labels": labels.to(device)}


def completion_loss(model, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean next-token cross-entropy over the completion tokens, computing logits only where a label is set.

    Same value as ``model(**inputs).loss``, but the 262k-word output layer of Gemma runs over ~50 completion
    positions per example instead of every prompt position (less memory and time; checked in the smoke test)."""
    causal_lm = model.get_base_model()  # LoRA layers are injected in place, so this still runs the adapter
    hidden = causal_lm.model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).last_hidden_state
    labels = inputs["labels"][:, 1:]
    selected = labels != -100
    logits = causal_lm.lm_head(hidden[:, :-1][selected])
    cap = getattr(causal_lm.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return torch.nn.functional.cross_entropy(logits.float(), labels[selected])


# ---- evaluation (self-contained copy of the fast path's output reading) -------------------------------------
def parse_prediction(text: str) -> dict | None:
    start = text.find("{")
    if start < 0:
        return None
    try:
        data, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def item_sets(data: dict | None) -> tuple[set, set]:
    """(codes, full): codes = (list, code); full adds (lab, loinc, result) with the result case-folded."""
    codes, full = set(), set()
    if not data:
        return codes, full
    for key in ("c", "x", "m"):
        for code in data.get(key) or []:
            codes.add((key, str(code)))
    for item in data.get("l") or []:
        if isinstance(item, list) and item:  # [code, result] pairs of an older target format
            codes.add(("l", str(item[0])))
            full.add(("lr", str(item[0]), str(item[1]).strip().casefold() if len(item) > 1 else ""))
        elif item is not None:
            codes.add(("l", str(item)))
    return codes, full | codes


def f1(tp: int, fp: int, fn: int) -> float:
    return round(2 * tp / (2 * tp + fp + fn), 4) if tp + fp + fn else 1.0


@torch.no_grad()
def evaluate(model, tokenizer, rows: list[dict], hp: HParams, device: torch.device, end_ids: list[int]) -> tuple[dict, list[dict]]:
    prompt_key, _, bos = FAMILIES[hp.family]
    model.eval()
    tokenizer.padding_side = "left"
    predictions = []
    for start in range(0, len(rows), hp.dev_batch_size):
        chunk = rows[start:start + hp.dev_batch_size]
        encoded = [([tokenizer.bos_token_id] if bos else []) + tokenizer.encode(r[prompt_key], add_special_tokens=False)
                   for r in chunk]
        width = max(map(len, encoded))
        ids = torch.tensor([[tokenizer.pad_token_id] * (width - len(e)) + e for e in encoded], device=device)
        mask = torch.tensor([[0] * (width - len(e)) + [1] * len(e) for e in encoded], device=device)
        with autocast(hp, device):
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=hp.max_new_tokens, do_sample=False,
                                 eos_token_id=end_ids, pad_token_id=tokenizer.pad_token_id)
        for row, generated in zip(chunk, out[:, width:]):
            tokens = generated.tolist()
            finished = any(t in end_ids for t in tokens)
            text = tokenizer.decode(tokens, skip_special_tokens=True)
            for marker in ("<end_of_turn>", "<|im_end|>", "<eos>"):  # not always flagged special in GGUF vocabularies
                text = text.split(marker)[0]
            text = text.strip()
            predictions.append({"id": row["id"], "source": row.get("source"), "target": row["target"],
                                "prediction": text, "finished": finished})
    totals = {"codes": [0, 0, 0], "full": [0, 0, 0]}
    per_key = {k: [0, 0, 0] for k in ("c", "x", "l", "m")}
    exact = valid = 0
    for p in predictions:
        exact += p["prediction"] == p["target"]
        data = parse_prediction(p["prediction"])
        valid += data is not None
        gold_codes, gold_full = item_sets(parse_prediction(p["target"]))
        pred_codes, pred_full = item_sets(data)
        for name, gold, pred in (("codes", gold_codes, pred_codes), ("full", gold_full, pred_full)):
            totals[name][0] += len(gold & pred)
            totals[name][1] += len(pred - gold)
            totals[name][2] += len(gold - pred)
        for key in per_key:
            g = {c for c in gold_codes if c[0] == key}
            q = {c for c in pred_codes if c[0] == key}
            per_key[key][0] += len(g & q)
            per_key[key][1] += len(q - g)
            per_key[key][2] += len(g - q)
    n = max(len(predictions), 1)
    metrics = {
        "n": len(predictions), "exact_match": round(exact / n, 4), "valid_json": round(valid / n, 4),
        "unfinished": sum(not p["finished"] for p in predictions),
        "codes_f1": f1(*totals["codes"]), "full_f1": f1(*totals["full"]),
        "per_key_f1": {k: f1(*v) for k, v in per_key.items()}, "counts": totals,
    }
    tokenizer.padding_side = "right"
    return metrics, predictions


def autocast(hp: HParams, device: torch.device):
    if device.type == "cuda" and resolve_dtype(hp.dtype, device) == torch.bfloat16:
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast(device.type, enabled=False)


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return {"bfloat16": torch.bfloat16, "bf16": torch.bfloat16, "float32": torch.float32, "fp32": torch.float32}[name]


def save_adapter(model, out: Path, hp: HParams) -> Path:
    """save_pretrained, then rewrite the weights in --save-dtype (fp16 halves the file; llama.cpp uses f16)."""
    from safetensors.torch import load_file, save_file

    target = out / "adapter"
    model.peft_config["default"].base_model_name_or_path = Path(hp.base_gguf).name
    model.save_pretrained(str(target), save_embedding_layers=False)
    (target / "README.md").unlink(missing_ok=True)  # PEFT's empty model card; ours lives with the shipped adapter
    weights = target / "adapter_model.safetensors"
    if hp.save_dtype != "float32":
        dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}[hp.save_dtype]
        tensors = {k: v.to(dtype).contiguous() for k, v in load_file(str(weights)).items()}
        save_file(tensors, str(weights), metadata={"format": "pt"})
    return target


@torch.no_grad()
def round_adapter(model, save_dtype: str) -> None:
    if save_dtype == "float32":
        return
    dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}[save_dtype]
    for name, param in model.named_parameters():
        if "lora_" in name:
            param.copy_(param.to(dtype).to(param.dtype))


def train(hp: HParams, out: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import get_cosine_schedule_with_warmup

    random.seed(hp.seed)
    torch.manual_seed(hp.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = resolve_dtype(hp.dtype, device)
    out.mkdir(parents=True, exist_ok=True)
    (out / "hparams.json").write_text(json.dumps(asdict(hp), indent=1))
    timings: dict[str, float] = {}

    clock = time.perf_counter()
    tokenizer, model = load_base(Path(hp.base_gguf), dtype, device)
    timings["load_s"] = round(time.perf_counter() - clock, 1)
    end_token = FAMILIES[hp.family][1]
    end_ids = sorted({special_id(tokenizer, end_token), tokenizer.eos_token_id})
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token_id = tokenizer.eos_token_id
    log(f"loaded {hp.base_gguf} in {timings['load_s']} s on {device} ({dtype}); end ids {end_ids}")

    data = Path(hp.data)
    train_rows = read_jsonl(data / "train.jsonl")
    if hp.max_train:  # a seeded random subset (the file lists seed rows first)
        train_rows = random.Random(hp.seed).sample(train_rows, min(hp.max_train, len(train_rows)))
    dev_rows = read_jsonl(data / "dev.jsonl", hp.max_dev)
    examples, dropped = encode(train_rows, tokenizer, hp.family, hp.max_len)
    lengths = sorted(len(e["input_ids"]) for e in examples)
    log(f"{len(examples)} training examples ({dropped} over {hp.max_len} tokens dropped), "
        f"tokens median {lengths[len(lengths) // 2]} max {lengths[-1]}; {len(dev_rows)} dev")

    model = get_peft_model(model, LoraConfig(r=hp.lora_r, lora_alpha=hp.lora_alpha, lora_dropout=hp.lora_dropout,
                                             target_modules=list(hp.target_modules), bias="none",
                                             task_type="CAUSAL_LM"))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    log(f"LoRA trainable parameters: {trainable:,}")

    steps_per_epoch = math.ceil(len(examples) / hp.batch_size)
    total_steps = hp.max_steps or math.ceil(steps_per_epoch * hp.epochs)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=hp.lr,
                                  weight_decay=hp.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, max(1, int(hp.warmup_ratio * total_steps)), total_steps)
    rng = random.Random(hp.seed)
    history, step, epoch = [], 0, 0
    clock = time.perf_counter()
    model.train()
    while step < total_steps:
        epoch += 1
        for batch in length_batches(examples, hp.batch_size, rng):
            if step >= total_steps:
                break
            inputs = collate(batch, tokenizer.pad_token_id, device)
            with autocast(hp, device):
                loss = completion_loss(model, inputs)
            if step == 0:
                with torch.no_grad(), autocast(hp, device):
                    reference = model(**inputs).loss.item()
                log(f"first batch: completion loss {loss.item():.5f}, transformers loss {reference:.5f}")
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), hp.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            history.append({"step": step, "epoch": epoch, "loss": round(loss.item(), 5),
                            "grad_norm": round(float(grad_norm), 4), "lr": scheduler.get_last_lr()[0],
                            "tokens": int(inputs["attention_mask"].sum()), "elapsed_s": round(time.perf_counter() - clock, 1)})
            if step % hp.log_every == 0 or step == total_steps or step == 1:
                log(f"step {step}/{total_steps} epoch {epoch} loss {history[-1]['loss']:.4f} lr {history[-1]['lr']:.2e}")
    timings["train_s"] = round(time.perf_counter() - clock, 1)
    epoch_loss = {e: round(sum(h["loss"] for h in history if h["epoch"] == e) / max(1, sum(h["epoch"] == e for h in history)), 5)
                  for e in sorted({h["epoch"] for h in history})}
    log(f"mean loss per epoch: {epoch_loss}")
    (out / "train_log.json").write_text(json.dumps({"epoch_mean_loss": epoch_loss, "steps_per_epoch": steps_per_epoch,
                                                    "examples": len(examples), "dropped_over_max_len": dropped,
                                                    "steps": history}, indent=0))
    adapter_dir = save_adapter(model, out, hp)
    round_adapter(model, hp.save_dtype)  # evaluate exactly the weights that were saved
    log(f"trained {step} steps in {timings['train_s']} s; adapter saved to {adapter_dir}")

    clock = time.perf_counter()
    metrics, predictions = evaluate(model, tokenizer, dev_rows, hp, device, end_ids)
    timings["dev_eval_s"] = round(time.perf_counter() - clock, 1)
    metrics.update({"timings": timings, "trainable_params": trainable, "device": str(device),
                    "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else None,
                    "peak_gpu_memory_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2) if device.type == "cuda" else None,
                    "versions": versions(), "final_loss": history[-1]["loss"] if history else None})
    (out / "dev_eval.json").write_text(json.dumps(metrics, indent=1))
    with (out / "dev_predictions.jsonl").open("w", encoding="utf-8") as handle:
        for p in predictions:
            handle.write(json.dumps(p, ensure_ascii=False) + "\n")
    log(f"dev: {json.dumps({k: metrics[k] for k in ('n', 'exact_match', 'valid_json', 'codes_f1', 'full_f1', 'per_key_f1')})}")


def versions() -> dict[str, str]:
    import peft
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
            "python": sys.version.split()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--family", choices=sorted(FAMILIES), required=True)
    parser.add_argument("--base-gguf", required=True, help="the base model's GGUF file")
    parser.add_argument("--data", required=True, help="folder with train.jsonl and dev.jsonl")
    parser.add_argument("--out", required=True)
    defaults = HParams(family="", base_gguf="", data="")
    for name, value in asdict(defaults).items():
        if name in ("family", "base_gguf", "data", "target_modules"):
            continue
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    parser.add_argument("--target-modules", default=",".join(defaults.target_modules),
                        help="comma-separated projection names to adapt (fewer = fewer LoRA ops per token in llama.cpp)")
    args = vars(parser.parse_args())
    args["target_modules"] = tuple(m.strip() for m in args["target_modules"].split(",") if m.strip())
    out = Path(args.pop("out"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    train(HParams(**args), out)


if __name__ == "__main__":
    main()
