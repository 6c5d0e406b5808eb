"""Source text with evidence spans highlighted, as escaped HTML.

Spans may overlap (a blood pressure gives the systolic and the diastolic item the same words), so the
text is cut at every span boundary and each piece becomes one ``<mark>`` naming every span that covers
it in ``data-hl``; an empty anchor (``id="src-KEY"``) sits where each span starts, for links and
scrolling. Every character of the document goes through ``escape``: a note holding ``<script>`` shows
the word, it never runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Mark:
    """One evidence span to highlight: where, which key links it to its row, and how to colour it."""

    start: int
    end: int
    key: str
    css: str      # "tier-line", "tier-lookup excluded", "candidate" …
    title: str    # tooltip: the item and the rule


def locate(text: str, span: tuple[int, int] | list[int] | None, quote: str | None) -> tuple[tuple[int, int] | None, bool]:
    """The span to draw for one piece of evidence, and whether it was found by searching for its quote.

    A span is trusted when it lies inside the text; without one, the quoted words are looked up (first
    occurrence), so an item whose tier recorded no offsets still points somewhere the auditor can check.
    """
    if span is not None and 0 <= span[0] < span[1] <= len(text):
        return (int(span[0]), int(span[1])), False
    if quote and quote.strip():
        found = text.find(quote.strip())
        if found >= 0:
            return (found, found + len(quote.strip())), True
    return None, False


def highlight(text: str, marks: list[Mark]) -> Markup:
    """``text`` escaped, with every mark drawn; marks outside the text are ignored."""
    marks = [m for m in marks if 0 <= m.start < m.end <= len(text)]
    if not marks:
        return escape(text)
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    starts: dict[int, list[Mark]] = {}
    for mark in marks:
        starts.setdefault(mark.start, []).append(mark)
    out: list[str] = []
    for left, right in zip(cuts, cuts[1:]):
        out.extend(f'<span class="anchor" id="src-{escape(m.key)}"></span>' for m in starts.get(left, ()))
        piece = escape(text[left:right])
        covering = [m for m in marks if m.start <= left and right <= m.end]
        if not covering:
            out.append(piece)
            continue
        inner = min(covering, key=_precedence)
        keys = " ".join(m.key for m in covering)
        title = "\n".join(dict.fromkeys(m.title for m in covering))
        out.append(f'<mark class="hl {escape(inner.css)}" data-hl="{escape(keys)}" title="{escape(title)}" '
                   f'tabindex="0">{piece}</mark>')
    return Markup("".join(out))


def _precedence(mark: Mark) -> tuple[int, int]:
    """Which covering span colours a piece: a kept item before an excluded mention before an agent
    candidate (an excluded word inside a kept item must not look struck out), then the narrowest."""
    classes = mark.css.split()
    return (2 if "candidate" in classes else 1 if "excluded" in classes else 0), mark.end - mark.start
