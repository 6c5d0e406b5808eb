"""fast_path: single-shot LoRA model over known-format text → parse (repair if needed) → ground every
code in the note → merge with the deterministic line parser → the agent for mentions still uncoded.
When the model output cannot be parsed even after repair and one grammar-constrained retry, the
parser's draft stands alone (with the agent) and the trace says why.

Two prompt styles: "short" (our adapter: codes only, see fastpath/output_format.py) and "compact"
(full compact JSON, for adapters trained on the predecessor's data such as its Gemma 4 E2B "v62" LoRA).
"""

from __future__ import annotations

from typing import Any

from cliniq_agent.core.errors import ModelError
from cliniq_agent.fastpath.ground import merge_model_output
from cliniq_agent.fastpath.output_format import parse_compact_output, parse_output
from cliniq_agent.fastpath.prompt import gemma_prompt, model_input, system_prompt
from cliniq_agent.text.lines.labels import CLINICAL_FIELDS, labelled_lines
from cliniq_agent.llm.models import ModelSpec, resolve_spec
from cliniq_agent.text.mentions import split_clauses
from cliniq_agent.llm.runtime import Generation, chat, complete, grammar_from_file
from cliniq_agent.text.tiers import agent_pass, deterministic_draft
from cliniq_agent.core.resources import read_prompt
from cliniq_agent.core.state import Draft, RunState
from cliniq_agent.terminology import TerminologyKB

MAX_TOKENS = {"short": 320, "compact": 1024}  # a hit is reported, never silent
TOKENS_PER_CLAUSE = 32  # a code with its quotes and a short result; the answer cannot need more per clause
STOP = ["<end_of_turn>", "<eos>", "\n\n"]


def fast_path(state: RunState) -> dict[str, Any]:
    options, text = state["options"], state["source"].text
    parser = deterministic_draft(text, producer="fast_path")
    spec = resolve_spec(options.model_path, options.lora_path, options.chat_format)
    style = options.prompt_style if options.prompt_style != "auto" else ("short" if spec.is_default else "compact")
    parse = parse_output if style == "short" else parse_compact_output
    budget = _token_budget(text, style)
    generation = _generate(spec, text, style, budget)
    output, notes = parse(generation.text)
    if generation.finish_reason == "length":
        notes.append(f"model output hit its {budget}-token budget")
    validity = "repaired" if notes else "true"
    if output is None and style == "short":
        retry = _generate(spec, text, style, budget, constrained=True)
        output, retry_notes = parse(retry.text)
        notes = [f"free output unusable ({'; '.join(notes) or 'no JSON'}); grammar-constrained retry: "
                 + ("ok" if output else "; ".join(retry_notes))]
        generation, validity = retry, "grammar-retry"
    stats = (f"model {spec.model_path.name}" + (f" + {spec.lora_path.name}" if spec.lora_path else "")
             + f" ({style} prompt): {generation.prompt_tokens} prompt / {generation.completion_tokens} output tokens in "
             f"{generation.duration_ms:.0f} ms" + (" (grammar)" if generation.grammar else ""))
    raw = f"raw model output: {generation.text.strip()[:2000]}"
    answer = f"model answer: {output.model_dump_json(include={'c', 'l', 'm'})}" if output is not None else "model answer: none"
    if output is None:
        parser.notes += [stats, "json_valid=false: the line parser's draft stands alone", raw, *notes]
        agent_draft, dropped = agent_pass(text, parser, options, producer="fast_path_agent")
        return {"drafts": [parser, agent_draft], "excluded_upstream": dropped}
    record, report = merge_model_output(text, parser.record, output, TerminologyKB.load())
    summary = (f"json_valid={validity}; model codes grounded: {report.in_text} in text, {report.via_kb} via KB "
               f"names, {len(report.dropped)} dropped")
    draft = Draft(producer="fast_path", record=record, notes=[stats, summary, raw, answer, *notes, *report.conflicts])
    # mentions neither the model nor the parser coded go to the agent, as on the deterministic route
    agent_draft, dropped = agent_pass(text, draft, options, producer="fast_path_agent")
    return {"drafts": [draft, agent_draft], "excluded_upstream": [*report.dropped, *dropped]}


def _token_budget(text: str, style: str) -> int:
    """Enough for every clinical clause of the note to carry a code: stops a looping model early."""
    clauses = sum(len(split_clauses(text, line.value_span)) for line in labelled_lines(text)
                  if line.field in CLINICAL_FIELDS and line.field != "vitals")
    return min(MAX_TOKENS[style], 24 + TOKENS_PER_CLAUSE * max(clauses, 1) * (1 if style == "short" else 3))


def _generate(spec: ModelSpec, text: str, style: str, budget: int, *, constrained: bool = False) -> Generation:
    grammar = grammar_from_file("fast_path_output.gbnf") if constrained else None
    try:
        if style == "short" and (spec.is_default or spec.chat_format == "gemma"):
            return complete(spec, gemma_prompt(text), max_tokens=budget, stop=STOP, grammar=grammar)
        if style == "short":
            messages = [{"role": "system", "content": system_prompt()}, {"role": "user", "content": model_input(text)}]
        else:
            messages = [{"role": "system", "content": read_prompt("compact_system.txt").strip()},
                        {"role": "user", "content": text}]
        return chat(spec, messages, max_tokens=budget, grammar=grammar)
    except ModelError:
        raise
    except (ValueError, RuntimeError) as err:
        raise ModelError(f"model call failed: {err}") from err
