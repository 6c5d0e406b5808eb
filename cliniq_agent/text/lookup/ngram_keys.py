"""``fold_key`` of every token n-gram starting at one token, built from the tokens instead of re-running
three regex substitutions per n-gram.

Why: the lookup tier tries up to ``longest_name_tokens`` (19) n-grams at every token of a note; folding
each surface from scratch made ordinary prose cost ~15 ms per KB. For ASCII text the key is exactly the
lower-cased tokens joined by spaces (letters and digits are separate tokens, every separator folds to a
space), except that a possessive "'s" after a letter joins its word ("Crohn's" → "crohns") when a word
boundary follows the "s" — the rules of ``terminology.normalize._key``. Non-ASCII text keeps the general
``fold_key`` (accents, ligatures and marks fold in ways tokens cannot predict).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import regex

from cliniq_agent.terminology.normalize import fold_key

_APOSTROPHE = "'"
_POSSESSIVE_S = "s"
_WORD_CHAR_SEPARATOR = "_"   # \w but not a token character: no word boundary after a possessive "s"

KeyOf = Callable[[int, int], str]   # (first token index, n-gram length) -> key
FirstWords = Callable[[int], tuple[str, ...] | None]   # first token index -> first words its keys can have
# (first token index, longest length wanted, "does some name key start with this string?") -> longest length worth trying
Reach = Callable[[int, int, Callable[[str], bool]], int]


def key_function(text: str, tokens: Sequence[regex.Match[str]]) -> tuple[KeyOf, FirstWords, Reach]:
    """A function giving the ``fold_key`` of ``tokens[i:i + n]``'s surface (fast when the tokens are ASCII),
    one giving the first words any such key can start with (None: unknown, for non-ASCII text), and one
    giving how far an n-gram's key can still grow into a name key (see ``reach``)."""
    if not tokens or not text[tokens[0].start():tokens[-1].end()].isascii():
        memo: dict[str, str] = {}   # this note's surfaces only; dropped with the note

        def general_key(index: int, length: int) -> str:
            surface = text[tokens[index].start():tokens[index + length - 1].end()]
            key = memo.get(surface)
            if key is None:
                key = memo[surface] = fold_key(surface)
            return key

        return general_key, lambda index: None, lambda index, limit, has_prefix: limit
    words = [token.group().lower() for token in tokens]
    letters = [token.group()[0].isalpha() for token in tokens]
    separators = [text[tokens[k].end():tokens[k + 1].start()] for k in range(len(tokens) - 1)] + [""]
    # token k joins token k-1 as a possessive when it is the last of the n-gram ...
    joins_last = [k > 0 and words[k] == _POSSESSIVE_S and letters[k - 1] and separators[k - 1] == _APOSTROPHE
                  for k in range(len(tokens))]
    # ... or, inside it, when a word boundary follows the "s" (a non-empty separator not starting with "_")
    joins_inner = [joins_last[k] and bool(separators[k]) and not separators[k].startswith(_WORD_CHAR_SEPARATOR)
                   for k in range(len(tokens))]

    def key_of(index: int, length: int) -> str:
        parts: list[str] = []
        last = index + length - 1
        for k in range(index, last + 1):
            joins = (joins_last if k == last else joins_inner)[k] and k > index
            if joins:
                parts[-1] += words[k]
            else:
                parts.append(words[k])
        return " ".join(parts)

    def first_words(index: int) -> tuple[str, ...]:
        joined = index + 1 < len(tokens) and joins_last[index + 1]
        return (words[index], words[index] + words[index + 1]) if joined else (words[index],)

    def reach(index: int, limit: int, has_prefix: Callable[[str], bool]) -> int:
        """The longest n-gram length (at most ``limit``) whose key can be a name key. The key of every longer
        n-gram starts with the "inner" key of a shorter one (its last token joined as if more followed), so
        past the first length whose inner key starts no name key, no longer n-gram can match."""
        prefix = words[index]
        for length in range(1, limit + 1):
            if length > 1:
                k = index + length - 1
                prefix = prefix + words[k] if joins_inner[k] else f"{prefix} {words[k]}"
            if not has_prefix(prefix):
                return length
        return limit

    return key_of, first_words, reach
