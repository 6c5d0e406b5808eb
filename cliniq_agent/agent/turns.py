"""The two model turns of the narrative agent, each grammar-constrained to a tiny answer:

- choose: one of up to five codes the code index returned (letters A-E), or N for none;
- confirm: is the condition a current diagnosis of the patient (yes / no).

Prompts live in prompts/agent_*.txt, grammars in prompts/agent_*.gbnf. Each call is one forward pass
over a short prompt plus one to two output tokens on the bundled Gemma 3 270M + our adapter.
"""

from __future__ import annotations

from cliniq_agent.agent.records import Candidate, TurnRecord
from cliniq_agent.llm.fence import as_data
from cliniq_agent.llm.models import ModelSpec
from cliniq_agent.llm.runtime import complete, grammar_from_file
from cliniq_agent.rag import CodeHit
from cliniq_agent.core.resources import read_prompt

LETTERS = "ABCDE"


def _gemma(user: str) -> str:
    return f"<start_of_turn>user\n{user}<end_of_turn>\n<start_of_turn>model\n"


def _sentence(text: str, candidate: Candidate) -> str:
    start, end = candidate.sentence
    return " ".join(text[start:end].split())[:400]


def choose_prompt(sentence: str, mention: str, hits: list[CodeHit]) -> str:
    options = "\n".join(f"{LETTERS[i]}) {hit.code} {hit.name}" for i, hit in enumerate(hits[: len(LETTERS)]))
    prompt = read_prompt("agent_choose.txt").format(sentence=as_data(sentence), mention=as_data(mention), options=options)
    return _gemma(prompt.strip())


def confirm_prompt(sentence: str, mention: str) -> str:
    return _gemma(read_prompt("agent_confirm.txt").format(sentence=as_data(sentence), mention=as_data(mention)).strip())


def choose(spec: ModelSpec, text: str, candidate: Candidate) -> tuple[CodeHit | None, TurnRecord]:
    options = candidate.hits[: len(LETTERS)]
    prompt = choose_prompt(_sentence(text, candidate), candidate.phrase, options)
    generation = complete(spec, prompt, max_tokens=1, stop=[], grammar=grammar_from_file("agent_choice.gbnf"))
    answer = generation.text.strip()[:1]
    picked = options[LETTERS.index(answer)] if answer in LETTERS[: len(options)] else None
    return picked, TurnRecord(candidate=candidate.id, kind="choose", question=candidate.phrase, answer=answer or "?",
                              duration_ms=generation.duration_ms, prompt=prompt)


def confirm(spec: ModelSpec, text: str, candidate: Candidate) -> tuple[bool, TurnRecord]:
    prompt = confirm_prompt(_sentence(text, candidate), candidate.phrase)
    generation = complete(spec, prompt, max_tokens=2, stop=[], grammar=grammar_from_file("agent_yes_no.gbnf"))
    answer = generation.text.strip().lower()
    return answer.startswith("y"), TurnRecord(candidate=candidate.id, kind="confirm", question=candidate.phrase,
                                              answer=answer or "?", duration_ms=generation.duration_ms,
                                              prompt=prompt)
