"""Chart geometry for inline SVG (the templates draw the rectangles): no charting library, nothing fetched."""

from __future__ import annotations

from dataclasses import dataclass

# latency bin edges in ms: roughly logarithmic, because one input takes 5 ms and another 50 s
_EDGES = (0, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 60_000, 120_000, 300_000)
_WIDTH, _ROW, _LABEL = 900, 22, 320


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per label; ``width``/``height`` are the SVG viewBox."""

    bars: list[Bar]
    width: int
    height: int
    label_width: int


@dataclass(frozen=True)
class Histogram:
    """Vertical bars over latency bins; labels are the bins' lower edges."""

    bars: list[Bar]
    width: int
    height: int
    base: int


def bar_chart(counts: list[tuple[str, int]]) -> BarChart:
    top = max((n for _, n in counts), default=1) or 1
    room = _WIDTH - _LABEL - 40
    bars = [Bar(label=label, value=n, x=_LABEL, y=i * _ROW + 4, width=max(1.0, room * n / top), height=_ROW - 8)
            for i, (label, n) in enumerate(counts)]
    return BarChart(bars=bars, width=_WIDTH, height=max(_ROW, len(counts) * _ROW + 4), label_width=_LABEL)


def latency_bin(value_ms: float) -> int:
    return max(i for i, edge in enumerate(_EDGES) if value_ms >= edge)


def histogram(values_ms: list[float], bins: range | None = None) -> Histogram:
    """Counts per latency bin over ``bins`` (default: the first to the last bin that holds an input);
    give every route the same ``bins`` to make their histograms comparable."""
    counts = [0] * len(_EDGES)
    for value in values_ms:
        counts[latency_bin(value)] += 1
    if bins is None:
        used = [i for i, n in enumerate(counts) if n] or [0]
        bins = range(used[0], used[-1] + 1)
    slot, base, plot = 56, 150, 120
    top = max(counts) or 1
    bars = [Bar(label=_ms_label(_EDGES[i]), value=counts[i], x=30 + k * slot + 6, y=base - plot * counts[i] / top,
                width=slot - 12, height=plot * counts[i] / top) for k, i in enumerate(bins)]
    return Histogram(bars=bars, width=max(200, 40 + len(bins) * slot), height=base + 22, base=base)


def _ms_label(edge: int) -> str:
    return f"≥{edge // 1000} s" if edge >= 1000 else f"≥{edge} ms"
