"""Build the fast path's prompt: the fixed instruction (prompts/fast_path_system.txt, a cached KV
prefix) followed by only the clinical lines of the note."""

from __future__ import annotations

from functools import lru_cache

from cliniq_agent.text.doc import TextDoc
from cliniq_agent.text.lines.labels import CLINICAL_FIELDS
from cliniq_agent.llm.fence import as_data
from cliniq_agent.core.resources import read_prompt

CODED_FIELDS = CLINICAL_FIELDS - {"vitals"}

SYSTEM_PROMPT_FILE = "fast_path_system.txt"


@lru_cache(maxsize=1)
def system_prompt() -> str:
    return read_prompt(SYSTEM_PROMPT_FILE).strip()


def model_input(text: str | TextDoc) -> str:
    """The lines the model needs: Dx/Lab/Meds/Immunization lines and any unlabelled line. Demographic,
    encounter and vital-sign lines are read exactly by the line parser instead."""
    doc = TextDoc.of(text)
    skip = {line.line_no for line in doc.lines if line.field not in CODED_FIELDS}
    kept = [line.rstrip() for number, line in enumerate(doc.text.splitlines(), 1) if number not in skip and line.strip()]
    return "\n".join(kept)


def gemma_prompt(text: str | TextDoc) -> str:
    """Gemma's turn format, written explicitly: the base GGUF ships no chat template."""
    return f"<start_of_turn>user\n{system_prompt()}\n\n{as_data(model_input(text))}<end_of_turn>\n<start_of_turn>model\n"
