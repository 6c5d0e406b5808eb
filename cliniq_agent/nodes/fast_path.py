"""fast_path: single-shot LoRA model over known-format text → parse (repair if needed) → ground every
code in the note → merge into the text tiers' draft; the agent then codes mentions still uncoded (when any are proposed).
When the model output cannot be parsed even after repair and one grammar-constrained retry, the
tiers' draft stands alone and the trace says why. The call is recorded as a typed ``ModelRun``.

Two prompt styles: "short" (our adapter: codes only, see fastpath/output_format.py) and "compact"
(full compact JSON, for adapters trained on the predecessor's data such as its Gemma 4 E2B "v62" LoRA).
"""

from __future__ import annotations

from typing import Any

from cliniq_agent.agent.propose import hand_over
from cliniq_agent.core.errors import ModelError
from cliniq_agent.core.resources import read_prompt
from cliniq_agent.core.state import Draft, ModelRun, ModelValidity, RunState
from cliniq_agent.fastpath.ground import merge_model_output
from cliniq_agent.fastpath.output_format import parse_compact_output, parse_output
from cliniq_agent.fastpath.prompt import SYSTEM_PROMPT_FILE, gemma_prompt, model_input, system_prompt
from cliniq_agent.llm.models import ModelSpec, resolve_spec
from cliniq_agent.llm.runtime import Generation, chat, complete, grammar_from_file
from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.lines.labels import CLINICAL_FIELDS
from cliniq_agent.text.mentions import split_clauses

MAX_TOKENS = {"short": 320, "compact": 1024}  # a hit is reported, never silent
TOKENS_PER_CLAUSE = 32  # a code with its quotes and a short result; the answer cannot need more per clause
STOP = ["<end_of_turn>", "<eos>", "\n\n"]
COMPACT_PROMPT_FILE = "compact_system.txt"


def fast_path(state: RunState) -> dict[str, Any]:
    options, job = state["options"], state["agent_jobs"][0]
    doc = job.doc   # the note's TextDoc (SourceDocument.doc): its lines were split once, by detect_format
    parser = job.base
    spec = resolve_spec(options.model_path, options.lora_path, options.chat_format)
    style = options.prompt_style if options.prompt_style != "auto" else ("short" if spec.is_default else "compact")
    parse = parse_output if style == "short" else parse_compact_output
    budget = _token_budget(doc, style)
    generation, prompt = _generate(spec, doc, style, budget)
    output, notes = parse(generation.text)
    if generation.finish_reason == "length":
        notes.append(f"model output hit its {budget}-token budget")
    validity, calls = (ModelValidity.REPAIRED if notes else ModelValidity.VALID), 1
    if output is None and style == "short":
        retry, prompt = _generate(spec, doc, style, budget, constrained=True)
        output, retry_notes = parse(retry.text)
        notes = [f"free output unusable ({'; '.join(notes) or 'no JSON'}); grammar-constrained retry: "
                 + ("ok" if output else "; ".join(retry_notes))]
        generation, validity, calls = retry, ModelValidity.GRAMMAR_RETRY, 2
    if output is None:
        validity = ModelValidity.INVALID
    run = ModelRun(producer="fast_path", model=spec.model_path.name, adapter=spec.lora_path.name if spec.lora_path else None,
                   prompt_style=style, prompt_id=SYSTEM_PROMPT_FILE if style == "short" else COMPACT_PROMPT_FILE,
                   prompt=prompt, validity=validity, prompt_tokens=generation.prompt_tokens,
                   completion_tokens=generation.completion_tokens, duration_ms=generation.duration_ms,
                   finish_reason=generation.finish_reason, grammar=generation.grammar, calls=calls,
                   raw=generation.text.strip()[:2000],
                   answer=output.model_dump(include={"c", "l", "m"}) if output is not None else None)
    stats = (f"model {run.model}" + (f" + {run.adapter}" if run.adapter else "") + f" ({style} prompt): "
             f"{run.prompt_tokens} prompt / {run.completion_tokens} output tokens in {run.duration_ms:.0f} ms"
             + (" (grammar)" if run.grammar else ""))
    if output is None:
        parser.notes += [stats, "model answer unusable: the line parser's draft stands alone", *notes]
        return {**hand_over([job]), "model_runs": [run]}
    record, report = merge_model_output(doc, parser.record, output, TerminologyKB.load())
    summary = (f"model answer {validity.value}; model codes grounded: {report.in_text} in text, {report.via_kb} via KB "
               f"names, {len(report.dropped)} dropped")
    draft = Draft(producer="fast_path", record=record, notes=[stats, summary, *notes, *report.conflicts])
    return {**hand_over([job.model_copy(update={"base": draft})]), "excluded_upstream": report.dropped,
            "model_runs": [run]}


def _token_budget(doc: TextDoc, style: str) -> int:
    """Enough for every clinical clause of the note to carry a code: stops a looping model early."""
    clauses = sum(len(split_clauses(doc.text, line.value_span)) for line in doc.lines
                  if line.field in CLINICAL_FIELDS and line.field != "vitals")
    return min(MAX_TOKENS[style], 24 + TOKENS_PER_CLAUSE * max(clauses, 1) * (1 if style == "short" else 3))


def _generate(spec: ModelSpec, doc: TextDoc, style: str, budget: int, *,
              constrained: bool = False) -> tuple[Generation, str]:
    """One model call and the prompt as sent (chat messages joined as ``role: content``)."""
    grammar = grammar_from_file("fast_path_output.gbnf") if constrained else None
    try:
        if style == "short" and (spec.is_default or spec.chat_format == "gemma"):
            prompt = gemma_prompt(doc)
            return complete(spec, prompt, max_tokens=budget, stop=STOP, grammar=grammar), prompt
        if style == "short":
            messages = [{"role": "system", "content": system_prompt()}, {"role": "user", "content": model_input(doc)}]
        else:
            messages = [{"role": "system", "content": read_prompt(COMPACT_PROMPT_FILE).strip()},
                        {"role": "user", "content": doc.text}]
        prompt = "\n\n".join(f"{m['role']}: {m['content']}" for m in messages)
        return chat(spec, messages, max_tokens=budget, grammar=grammar), prompt
    except ModelError:
        raise
    except (ValueError, RuntimeError) as err:
        raise ModelError(f"model call failed: {err}") from err
