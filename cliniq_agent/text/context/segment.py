"""Sentence / line segmentation used to bound every trigger's scope.

Why our own splitter: clinical text mixes prose, "Label: value" lines, bullets and numbered lists,
decimals ("38.5") and abbreviations ("Dr.", "vs.", "p.ex."). A scope must never cross a sentence
end, a line break between items, or a list marker; a soft-wrapped prose line (ends mid-clause,
next line starts lower-case) is joined.
"""

from __future__ import annotations

import regex

from cliniq_agent.core.textnorm import fold_full
from cliniq_agent.text.initials import genus_initial_at
from cliniq_agent.text.list_numbers import list_number_before

# End punctuation (with closing quotes/brackets) followed by whitespace or end of text.
_END = regex.compile(r"[.!?\u3002]+[\"'\u201d\u2019)\]]*(?=\s|$)")
_WORD_BEFORE = regex.compile(r"([\w/][\w/.]*)$")  # "Dr", "e.g", "p.ex" before the final dot
_LOOKBACK = 24
_ANSWER = regex.compile(r"[ \t]*[:\-]?[ \t]*(\w+)")
_NEWLINE = regex.compile(r"\n")
#: "1. text" / "2) text" list markers inside a line: the segment breaks before the number (also a clause split of
#: labelled lines, text/mentions.py)
LIST_MARKER = regex.compile(r"(?<=\S[ \t]+)\d{1,2}[.)][ \t]+(?=[^\W\d])")
_BULLET_INLINE = regex.compile(r"(?<=\S[ \t]+)[\u2022\u00b7][ \t]*")


def _soft_wrap(text: str, newline: int) -> bool:
    """True when a line break is only wrapping prose: previous line ends on a letter/comma and
    the next line starts with a lower-case letter.

    Reads only the characters next to the break (never copies the text around it: a note of many
    lines would be copied once per line)."""
    last = newline - 1
    while last >= 0 and text[last] in " \t\r":
        last -= 1
    first = newline + 1
    while first < len(text) and text[first] in " \t":
        first += 1
    if last < 0 or first >= len(text):
        return False
    before, after = text[last], text[first]
    if before == "\n" or after == "\n":
        return False
    return (before.isalpha() or before == ",") and after.isalpha() and after.islower()


def split_segments(text: str, abbreviations: frozenset[str],
                   answers: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Spans (start, end) of sentences/lines in ``text``, whitespace-trimmed, end punctuation kept.
    A "?" followed on the same line by an answer word ("Fever? No") does not end the segment."""
    cuts: set[int] = set()
    for match in _END.finditer(text):
        if match.group().startswith("?") and answers:
            answer = _ANSWER.match(text, match.end())
            if answer is not None and fold_full(answer.group(1)) in answers:
                continue
        if match.group().startswith(".") and len(match.group().rstrip("\"')]\u201d\u2019")) == 1:
            word = _WORD_BEFORE.search(text, max(0, match.start() - _LOOKBACK), match.start())
            if word is not None:
                token = fold_full(word.group(1))
                if token in abbreviations or list_number_before(text, match.start()) or genus_initial_at(text, match.start()):
                    continue
        cuts.add(match.end())
    for match in _NEWLINE.finditer(text):
        if not _soft_wrap(text, match.start()):
            cuts.add(match.start())
    for pattern in (LIST_MARKER, _BULLET_INLINE):
        for match in pattern.finditer(text):
            cuts.add(match.start())
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in sorted(cuts) + [len(text)]:
        if cut <= start:
            continue
        seg_start, seg_end = start, cut
        while seg_start < seg_end and text[seg_start].isspace():
            seg_start += 1
        while seg_end > seg_start and text[seg_end - 1].isspace():
            seg_end -= 1
        if seg_end > seg_start:
            spans.append((seg_start, seg_end))
        start = cut
    return spans
