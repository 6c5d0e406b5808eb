"""The agent's gate, measured: accuracy of the model's choose turn on held-out generated rows whose top code-index
hit scores in the ask band (the only candidates the model decides), next to the index's own top hit.

Rows come from ``scripts/generate_agent_data.py --gate-only --seed <not the training seed>`` (templates and KB
names, never the evaluation notes); each row carries the prompt the agent sends at run time, the right answer
(a letter, or N when no option fits) and the letter of the index's top hit. The model answers through the same
grammar-constrained llama.cpp call as cliniq_agent.agent.turns.choose. kb/agent/agent.toml's gate settings cite
this table: with ``require_agreement`` a choice counts only when the model picks the top hit, so the numbers that
matter are how often the model keeps a right top hit and drops a wrong one.

Run: ``python -m cliniq_agent.eval.agent_gate build/agent_gate/gate.jsonl [--lora FILE] [--limit N]``.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path


def measure(rows: list[dict], lora: Path | None, *, progress: int = 0) -> dict[str, Counter]:
    """Per source: n, model right, top-hit right, and under require_agreement: kept right / kept wrong / dropped."""
    from cliniq_agent.llm.models import agent_spec
    from cliniq_agent.llm.runtime import complete, grammar_from_file

    spec = agent_spec()
    if lora is not None:
        spec = spec.model_copy(update={"lora_path": lora, "is_default": False})
    grammar = grammar_from_file("agent_choice.gbnf")
    counts: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        answer = complete(spec, row["prompt_gemma"], max_tokens=1, stop=[], grammar=grammar).text.strip()[:1] or "?"
        for key in (row["source"], "all"):
            c = counts[key]
            c["n"] += 1
            c["model_right"] += answer == row["target"]
            c["top_right"] += row["top_letter"] == row["target"]
            agree = answer == row["top_letter"] != "N"
            c["kept_right"] += agree and row["top_letter"] == row["target"]
            c["kept_wrong"] += agree and row["top_letter"] != row["target"]
            c["dropped_right_top"] += (not agree) and row["top_letter"] == row["target"]
            c["dropped_wrong_top"] += (not agree) and row["top_letter"] != row["target"]
        if progress and counts["all"]["n"] % progress == 0:
            print(f"after {counts['all']['n']} rows: {dict(counts['all'])}", flush=True)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=Path)
    parser.add_argument("--lora", type=Path, help="GGUF LoRA to measure (default: the bundled agent adapter)")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--progress", type=int, default=0, help="print the running totals every N rows")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.rows.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = rows[: args.limit] if args.limit else rows
    counts = measure(rows, args.lora, progress=args.progress)
    print("source\tn\tmodel right\ttop hit right\tagreement: kept right\tkept wrong\tdropped (top right)\t"
          "dropped (top wrong)")
    for source, c in sorted(counts.items()):
        print(f"{source}\t{c['n']}\t{c['model_right']}\t{c['top_right']}\t{c['kept_right']}\t{c['kept_wrong']}\t"
              f"{c['dropped_right_top']}\t{c['dropped_wrong_top']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
