#!/usr/bin/env python3
"""Convert a PEFT LoRA adapter (from train_lora.py) to a GGUF LoRA that llama-cpp-python loads with lora_path,
and optionally check that llama.cpp with the adapter reproduces the PEFT model's greedy outputs.

Uses llama.cpp's own convert_lora_to_gguf.py (with its conversion/ and gguf-py/ folders) from the
llama-cpp-python 0.3.36 sdist, so the tensor names and the Q/K permutation match the llama.cpp that runs the
adapter. That script needs the base model's Hugging Face config.json; it is produced here from the GGUF via
transformers (only the config is needed, no weights). Runs on CPU.

Usage:
  python scripts/convert_lora.py --adapter OUT/adapter --base-gguf /work/models/gemma-3-270m-q4_k_m.gguf \
      --out build/fastpath_lora.gguf [--outtype f16] \
      [--check-predictions OUT/dev_predictions.jsonl --check-data build/fastpath_data --check-n 4 --family gemma
       [--check-logits]]
The sdist is fetched once with `pip download` into build/llama_cpp_sdist unless --llama-cpp-dir is given.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SDIST_VERSION = "0.3.36"
SDIST_DIR = REPO / "build" / "llama_cpp_sdist"
VENDOR = f"llama_cpp_python-{SDIST_VERSION}/vendor/llama.cpp"
ARCHITECTURES = {"gemma3_text": "Gemma3ForCausalLM", "gemma3": "Gemma3ForCausalLM", "llama": "LlamaForCausalLM"}
FAMILIES = {"gemma": ("prompt_gemma", "<end_of_turn>"), "smollm2": ("prompt_smollm2", "<|im_end|>")}
ADD_BOS = {"gemma": True, "smollm2": False}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def llama_cpp_dir(explicit: Path | None) -> Path:
    """The vendored llama.cpp folder holding convert_lora_to_gguf.py; downloads and unpacks the sdist once."""
    if explicit:
        return explicit
    target = SDIST_DIR / VENDOR
    if (target / "convert_lora_to_gguf.py").exists():
        return target
    SDIST_DIR.mkdir(parents=True, exist_ok=True)
    archive = SDIST_DIR / f"llama_cpp_python-{SDIST_VERSION}.tar.gz"
    if not archive.exists():
        log(f"downloading the llama-cpp-python {SDIST_VERSION} sdist (~77 MB)")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        f"llama-cpp-python=={SDIST_VERSION}", "-d", str(SDIST_DIR)], check=True)
    wanted = (f"{VENDOR}/convert_", f"{VENDOR}/conversion/", f"{VENDOR}/gguf-py/")
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(wanted)]
        tar.extractall(SDIST_DIR, members=members, filter="data")
    return target


def base_config_dir(base_gguf: Path) -> Path:
    """config.json of the base model, read from the GGUF metadata by transformers (cached under build/)."""
    from transformers import AutoConfig

    folder = REPO / "build" / "base_configs" / base_gguf.stem
    if (folder / "config.json").exists():
        return folder
    config = AutoConfig.from_pretrained(str(base_gguf.parent), gguf_file=base_gguf.name).to_dict()
    config.pop("quantization_config", None)
    config["architectures"] = [ARCHITECTURES[config["model_type"]]]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=1))
    return folder


def convert(adapter: Path, base_gguf: Path, out: Path, outtype: str, vendor: Path) -> None:
    config = base_config_dir(base_gguf)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(vendor / "convert_lora_to_gguf.py"), "--base", str(config), "--outfile", str(out),
               "--outtype", outtype, str(adapter)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("NO_LOCAL_GGUF", None)  # use the gguf-py that ships with this llama.cpp
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"convert_lora_to_gguf.py failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    log(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")


def first_json(text: str) -> object | None:
    start = text.find("{")
    try:
        return json.JSONDecoder().raw_decode(text[start:])[0] if start >= 0 else None
    except json.JSONDecodeError:
        return None


def check(base_gguf: Path, lora: Path, predictions: Path, data: Path, family: str, n: int, threads: int) -> dict:
    """Greedy llama.cpp generations with and without the adapter vs the PEFT predictions of train_lora.py."""
    from llama_cpp import Llama

    prompt_key, end_token = FAMILIES[family]
    peft = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines()][:n]
    hparams = predictions.parent / "hparams.json"  # generate as many tokens as train_lora.py's evaluation did
    max_tokens = json.loads(hparams.read_text())["max_new_tokens"] if hparams.exists() else 200
    rows = {r["id"]: r for r in map(json.loads, (data / "dev.jsonl").read_text(encoding="utf-8").splitlines())}
    report: dict = {"cases": []}
    outputs: dict[str, list[str]] = {}
    for label, lora_path in (("base", None), ("lora", lora)):
        clock = time.perf_counter()
        llm = Llama(model_path=str(base_gguf), lora_path=str(lora_path) if lora_path else None, n_ctx=2048,
                    n_threads=threads, verbose=False)
        load_s = time.perf_counter() - clock
        texts = []
        clock = time.perf_counter()
        for p in peft:
            out = llm(rows[p["id"]][prompt_key], max_tokens=max_tokens, temperature=0.0, top_k=1, repeat_penalty=1.0,
                      stop=[end_token])
            texts.append(out["choices"][0]["text"].strip())
        outputs[label] = texts
        report[f"{label}_load_s"], report[f"{label}_generate_s"] = round(load_s, 2), round(time.perf_counter() - clock, 2)
        del llm
    for i, p in enumerate(peft):
        case = {"id": p["id"], "target": p["target"], "peft": p["prediction"], "llama_lora": outputs["lora"][i],
                "llama_base": outputs["base"][i]}
        case["lora_equals_peft"] = case["llama_lora"] == case["peft"]
        # the first JSON object is what the fast path reads; text after it (untrained models ramble) is near-tie
        # territory where llama.cpp's quantized matmuls and PEFT's dequantized weights may pick different tokens
        peft_json = first_json(case["peft"])
        case["first_json_equal"] = peft_json is not None and first_json(case["llama_lora"]) == peft_json
        case["lora_differs_from_base"] = case["llama_lora"] != case["llama_base"]
        report["cases"].append(case)
    report["lora_equals_peft"] = sum(c["lora_equals_peft"] for c in report["cases"])
    report["first_json_equal"] = sum(c["first_json_equal"] for c in report["cases"])
    report["lora_differs_from_base"] = sum(c["lora_differs_from_base"] for c in report["cases"])
    return report


def check_logits(base_gguf: Path, adapter: Path, lora: Path, data: Path, family: str, n: int, threads: int) -> dict:
    """Teacher-forced comparison on prompt + target of the first N dev rows: next-token argmax agreement and
    target NLL of PEFT (transformers, fp32) vs llama.cpp, without and with the adapter. Robust where greedy
    texts part at a near-tie; needs torch, transformers and peft (the `train` extra)."""
    import numpy as np
    import torch
    from llama_cpp import Llama
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    prompt_key, end_token = FAMILIES[family]
    rows = [json.loads(line) for line in (data / "dev.jsonl").read_text(encoding="utf-8").splitlines()][:n]
    tokenizer = AutoTokenizer.from_pretrained(str(base_gguf.parent), gguf_file=base_gguf.name)
    base = AutoModelForCausalLM.from_pretrained(str(base_gguf.parent), gguf_file=base_gguf.name, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, str(adapter)).eval()
    results = []
    for use_lora in (False, True):
        llm = Llama(model_path=str(base_gguf), lora_path=str(lora) if use_lora else None, n_ctx=2048,
                    n_threads=threads, logits_all=True, verbose=False)
        for row in rows:
            prompt = tokenizer.encode(row[prompt_key], add_special_tokens=False)
            prompt = ([tokenizer.bos_token_id] if ADD_BOS[family] else []) + prompt
            ids = prompt + tokenizer.encode(row["target"] + end_token, add_special_tokens=False)
            with torch.no_grad():
                if use_lora:
                    hf = model(torch.tensor([ids])).logits[0].float()
                else:
                    with model.disable_adapter():
                        hf = model(torch.tensor([ids])).logits[0].float()
            llm.reset()
            llm.eval(ids)
            ll = torch.tensor(np.array(llm.scores[:len(ids)]), dtype=torch.float32)
            positions = torch.arange(len(prompt) - 1, len(ids) - 1)
            nexts = torch.tensor(ids[len(prompt):])
            results.append({
                "id": row["id"], "adapter": use_lora, "positions": len(positions),
                "argmax_agreement": round(float((hf[positions].argmax(-1) == ll[positions].argmax(-1)).float().mean()), 4),
                "nll_peft": round(float(-torch.log_softmax(hf[positions], -1)[torch.arange(len(positions)), nexts].mean()), 4),
                "nll_llama_cpp": round(float(-torch.log_softmax(ll[positions], -1)[torch.arange(len(positions)), nexts].mean()), 4),
            })
        del llm
    return {"teacher_forced": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--adapter", type=Path, required=True, help="PEFT adapter folder (adapter_config.json …)")
    parser.add_argument("--base-gguf", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="GGUF LoRA file to write")
    parser.add_argument("--outtype", default="f16", choices=["f32", "f16", "bf16", "q8_0"])
    parser.add_argument("--llama-cpp-dir", type=Path, help="vendor/llama.cpp of the llama-cpp-python sdist")
    parser.add_argument("--check-predictions", type=Path, help="dev_predictions.jsonl written by train_lora.py")
    parser.add_argument("--check-data", type=Path, help="folder with the dev.jsonl the predictions came from")
    parser.add_argument("--check-n", type=int, default=4)
    parser.add_argument("--family", choices=sorted(FAMILIES), default="gemma")
    parser.add_argument("--check-logits", action="store_true",
                        help="also compare teacher-forced logits of PEFT and llama.cpp (loads the base in transformers)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    clock = time.perf_counter()
    convert(args.adapter, args.base_gguf, args.out, args.outtype, llama_cpp_dir(args.llama_cpp_dir))
    log(f"conversion took {time.perf_counter() - clock:.1f} s")
    if args.check_predictions:
        if not args.check_data:
            parser.error("--check-predictions needs --check-data")
        report = check(args.base_gguf, args.out, args.check_predictions, args.check_data, args.family,
                       args.check_n, args.threads)
        if args.check_logits:
            report.update(check_logits(args.base_gguf, args.adapter, args.out, args.check_data, args.family,
                                       args.check_n, args.threads))
        print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
