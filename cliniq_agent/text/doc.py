"""One note's per-document facts, computed once: ``TextDoc``; and ``Span``, a frozen, ordered character range.

Why: every text tier asks the same questions of a note (its folded form with offset maps, its labelled
lines, its sentence segments and ConText analysis, its sentence breaks). Answering them once per document
object, instead of through module caches keyed by the note's text, keeps each tier linear in the note's
size and lets two notes with the same text never share state by accident. One ``TextDoc`` is made where a
text enters the pipeline (``SourceDocument.doc``, a CDA narrative section) and travels with it (the tiers'
``TierInput``, the agent's ``AgentJob``); functions that also accept a plain ``str`` (tests, scripts)
wrap it into a new ``TextDoc`` for that call only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:   # imported lazily at run time: the modules below import this one
    from cliniq_agent.text.context.analysis import DocAnalysis
    from cliniq_agent.text.context.rules import RuleSet
    from cliniq_agent.text.context.textfold import FoldedText
    from cliniq_agent.text.lines.labels import LabelledLine


@dataclass(frozen=True, order=True, slots=True)
class Span:
    """Half-open character range [start, end) in document coordinates; unpacks like ``(start, end)``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad span ({self.start}, {self.end})")

    def __iter__(self) -> Iterator[int]:
        yield self.start
        yield self.end

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Span | tuple[int, int]) -> bool:
        """True when the two ranges share at least one character."""
        start, end = other
        return self.start < end and start < self.end

    def contains(self, other: Span | tuple[int, int]) -> bool:
        start, end = other
        return self.start <= start and end <= self.end

    def shifted(self, offset: int) -> Span:
        """The same range moved by ``offset`` (a chunk's local span → document coordinates)."""
        return Span(self.start + offset, self.end + offset)

    def as_tuple(self) -> tuple[int, int]:
        return self.start, self.end

    @classmethod
    def of(cls, span: Span | tuple[int, int]) -> Span:
        return span if isinstance(span, Span) else cls(*span)


T = TypeVar("T")


class _once(Generic[T]):
    """A fact computed on first access and kept on the instance. Like ``functools.cached_property`` without
    its class-wide lock (Python 3.11): two threads may compute one fact at once (the same value, one kept),
    and threads working on different documents never wait for one another."""

    def __init__(self, func: Any) -> None:
        self.func, self.name, self.__doc__ = func, func.__name__, func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        return obj.__dict__.setdefault(self.name, self.func(obj))


class TextDoc:
    """A note and what the tiers know about it, each fact computed on first use and kept with the note.

    ``folded``: the case/accent-folded text with offset maps (``FoldedText``); ``lines``: its labelled
    "Label: value" lines; ``context(ruleset, language)``: the ConText analysis (segments, languages,
    trigger hits, sections, quotes); ``segments``: sentence/line spans in original offsets. Thread-safe:
    a fact computed twice by two threads at once is computed the same way, and one copy is kept."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._analyses: dict[tuple[int, str | None], DocAnalysis] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return f"TextDoc({len(self.text):,} chars)"

    @classmethod
    def of(cls, text: str | TextDoc) -> TextDoc:
        """``text`` itself when already a ``TextDoc``; a plain string is wrapped into a new one (no cache:
        a caller that asks several questions of one note passes the note's ``TextDoc`` instead)."""
        return text if isinstance(text, TextDoc) else cls(text)

    @_once
    def folded(self) -> FoldedText:
        from cliniq_agent.text.context.textfold import fold_with_offsets
        return fold_with_offsets(self.text)

    @_once
    def fold(self) -> str:
        """The length-preserving fold (``core.textnorm.fold``): offsets into it are offsets into ``text``."""
        from cliniq_agent.core.textnorm import fold
        return fold(self.text)

    @_once
    def lines(self) -> tuple[LabelledLine, ...]:
        from cliniq_agent.text.lines.labels import split_labelled_lines
        return split_labelled_lines(self)

    def value_spans(self, fields: frozenset[str] | set[str]) -> list[tuple[int, int]]:
        """Value spans of the labelled lines whose field is one of ``fields``."""
        return [line.value_span for line in self.lines if line.field in fields]

    def context(self, ruleset: RuleSet, language: str | None = None) -> DocAnalysis:
        """ConText analysis of the note under ``ruleset`` (``language`` None: detected per segment)."""
        key = (id(ruleset), language)
        analysis = self._analyses.get(key)
        if analysis is None:
            from cliniq_agent.text.context.analysis import analyse
            analysis = analyse(self.text, ruleset, language, folded=self.folded)
            with self._lock:
                analysis = self._analyses.setdefault(key, analysis)
        return analysis

    @_once
    def instruction_cues(self) -> dict[tuple[int, str], bool]:
        """Memo of the instruction-cue checks of this note's markers (``markers.instructed``): a long note
        repeats the same sentence around its markers on many lines, and the cue patterns are slow."""
        return {}

    @_once
    def panel_headers(self) -> list[tuple[int, int]]:
        """Spans of the note's panel headers ("GC/CT NAAT:" before per-analyte results; text/criteria/panels.py)."""
        from cliniq_agent.text.criteria.panels import panel_headers
        return panel_headers(self.text)

    @_once
    def line_breaks(self) -> list[int]:
        """Offsets of every newline (for line lookups by bisect)."""
        text, breaks, pos = self.text, [], self.text.find("\n")
        while pos >= 0:
            breaks.append(pos)
            pos = text.find("\n", pos + 1)
        return breaks

