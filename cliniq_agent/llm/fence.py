"""Document text goes to a model as data: markup that would end the prompt's fence is defused.

Prompts are raw strings whose special tokens llama.cpp parses (``<start_of_turn>`` …), so a note that
contains ``</data>`` or a chat-turn tag could otherwise close its fence or open a turn of its own.
"""

from __future__ import annotations

import regex

_FENCE_BREAKERS = regex.compile(r"<\s*/?\s*(?:data|start_of_turn|end_of_turn|bos|eos|s|\|[a-z_]+\|)\s*>",
                                regex.IGNORECASE)


def as_data(text: str) -> str:
    """``text`` with fence-ending and chat-turn tags written with look-alike brackets (‹ ›)."""
    return _FENCE_BREAKERS.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)
