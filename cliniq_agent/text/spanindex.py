"""Sorted span sets answering "does this span overlap / which spans hold this offset" in O(log n).

Why: the text tiers used to test each new span against every earlier one (``any(... for s in spans)``),
which is quadratic on long notes with thousands of lines or mentions. Spans are sorted once by start,
with the running maximum of their ends, so an overlap test is one bisect and a stabbing query walks
back only over spans that can still reach the offset.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

Span = tuple[int, int]
T = TypeVar("T")


class SpanIndex(Generic[T]):
    """Immutable set of (start, end) spans, each carrying an item (the span itself by default)."""

    __slots__ = ("_starts", "_ends", "_items", "_reach")

    def __init__(self, spans: Iterable[Span], items: Iterable[T] | None = None) -> None:
        spans = list(spans)
        paired = list(zip(spans, items if items is not None else spans))
        paired.sort(key=lambda pair: pair[0][0])   # stable: equal starts keep their given order
        self._starts = [span[0] for span, _ in paired]
        self._ends = [span[1] for span, _ in paired]
        self._items: list[T] = [item for _, item in paired]
        self._reach: list[int] = []          # max end over spans[0..i]
        running = None
        for end in self._ends:
            running = end if running is None or end > running else running
            self._reach.append(running)

    def __len__(self) -> int:
        return len(self._starts)

    def overlaps(self, span: Span) -> bool:
        """True when some stored span shares at least one character with ``span`` (half-open)."""
        start, end = span
        count = bisect_left(self._starts, end)          # spans starting before our end
        return count > 0 and self._reach[count - 1] > start

    def containing(self, position: int) -> Iterator[T]:
        """Items whose span holds ``position`` (start <= position < end), latest start first."""
        index = bisect_right(self._starts, position) - 1
        while index >= 0 and self._reach[index] > position:
            if self._ends[index] > position:
                yield self._items[index]
            index -= 1

    def within(self, lo: int, hi: int) -> list[T]:
        """Items whose start lies in [lo, hi), in start order."""
        return self._items[bisect_left(self._starts, lo):bisect_left(self._starts, hi)]
