"""Fit the fusion settings and the score calibration on the synonym benchmark; print the values for retrieval.toml.

Run ``python -m cliniq_agent.eval.calibrate_retrieval [--model NAME]``. Steps:
1. every benchmark query not answered by the exact / alias channel is run once through the lexical and vector
   channels (channel scores per candidate code are kept, so settings can be tried without re-embedding);
2. a small grid over the fusion settings picks the one with the best top-1 accuracy (ties: the simpler blend),
   with a two-fold split (odd / even rows) reported beside it so the in-sample number is not the only one;
3. isotonic regression (pool-adjacent-violators) of "top-1 is right" on the fused raw score of the top-1 code
   gives the calibration knots: the calibrated score estimates P(top-1 right) for that raw score.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from cliniq_agent.eval.retrieval import ABSENT, BenchmarkQuery, load_queries
from cliniq_agent.rag.config import FusionSettings
from cliniq_agent.rag.documents import IndexDocument
from cliniq_agent.rag.retrieval import CodeIndex, interpolate

BLEND_GRID = {"lexical_weight": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8), "max_share": (0.0, 0.25, 0.5, 0.75, 1.0)}
FLOOR_QUANTILES = (0.1, 0.3, 0.5, 0.7)  # of all candidate cosines: models differ in their cosine range


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else 0.0


def fusion_grid(samples: list[Sample]) -> dict[str, tuple[float, ...]]:
    """Blend weights, plus cosine floors / ceilings placed on this model's own cosine distribution."""
    cosines = [vec for s in samples for _, _, vec, _ in s.candidates if vec > 0]
    best = [max((vec for _, _, vec, _ in s.candidates), default=0.0) for s in samples]
    floors = tuple(sorted({round(_quantile(cosines, q), 2) for q in FLOOR_QUANTILES}))
    ceilings = tuple(sorted({round(_quantile(best, 0.9), 2), 1.0}))
    return {**BLEND_GRID, "vector_floor": floors, "vector_ceiling": ceilings}


@dataclass(frozen=True)
class Sample:
    query: BenchmarkQuery
    candidates: tuple[tuple[str, float, float, IndexDocument], ...]  # (code, lexical, vector, document)


def collect(index: CodeIndex, queries: list[BenchmarkQuery]) -> tuple[list[Sample], int, int]:
    """Channel scores for the non-exact queries; also (exact queries, of which right)."""
    samples, exact, exact_right = [], 0, 0
    for query in queries:
        hits = index._exact(query.query, query.system)  # noqa: SLF001 (same module family)
        if hits:
            exact += 1
            exact_right += hits[0].code in query.codes
            continue
        candidates = index._lexical(query.query, query.system)  # noqa: SLF001
        index._vector(query.query, query.system, candidates)  # noqa: SLF001
        samples.append(Sample(query, tuple((c.document.code, c.lexical, c.vector, c.document)
                                           for c in candidates.values())))
    return samples, exact, exact_right


def top1(index: CodeIndex, sample: Sample, fusion: FusionSettings) -> tuple[float, bool]:
    """(raw score of the top-ranked code, whether it is an expected code)."""
    best = max(((index.raw_score(lex, vec, doc, sample.query.system, fusion), code)
                for code, lex, vec, doc in sample.candidates), default=(0.0, ""))
    return best[0], best[1] in sample.query.codes


def accuracy(index: CodeIndex, samples: list[Sample], fusion: FusionSettings) -> float:
    """Top-1 accuracy over the samples that have a right answer."""
    answerable = [s for s in samples if s.query.kind != ABSENT]
    return sum(top1(index, s, fusion)[1] for s in answerable) / max(len(answerable), 1)


def best_fusion(index: CodeIndex, samples: list[Sample],
                grid: dict[str, tuple[float, ...]]) -> tuple[FusionSettings, float]:
    """The grid point with the best accuracy, averaged with its grid neighbours' (the middle of a plateau rather
    than its edge: the accuracy surface is flat, a few queries apart, and an edge overfits)."""
    steps = [range(len(values)) for values in grid.values()]

    def settings(point: tuple[int, ...]) -> FusionSettings:
        return index.fusion.model_copy(update={name: grid[name][i] for name, i in zip(grid, point)})

    table = {point: accuracy(index, samples, settings(point)) for point in itertools.product(*steps)}

    def smoothed(point: tuple[int, ...]) -> float:
        neighbours = [table[n] for n in _neighbours(point, steps)]
        return table[point] + (sum(neighbours) / len(neighbours) if neighbours else 0.0)

    best = max(table, key=lambda point: (smoothed(point), table[point]))
    return settings(best), table[best]


def _neighbours(point: tuple[int, ...], steps: list[range]) -> list[tuple[int, ...]]:
    found = []
    for axis, value in enumerate(point):
        for delta in (-1, 1):
            if value + delta in steps[axis]:
                found.append(point[:axis] + (value + delta,) + point[axis + 1:])
    return found


def isotonic_knots(points: list[tuple[float, bool]], max_fuzzy: float) -> list[tuple[float, float]]:
    """Monotone fit of P(top-1 right) on the raw score, as [raw, calibrated] knots.

    Pool-adjacent-violators blocks, each valued (right + 1) / (n + 2) so that a block of three lucky queries does
    not claim certainty; knots sit at each block's highest raw score, capped at ``max_fuzzy``."""
    blocks: list[list[float]] = []  # [right, count, highest raw]
    for raw, right in sorted(points):
        blocks.append([float(right), 1.0, raw])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], last[2]]
    knots = [(0.0, 0.0)]
    for right, count, high in blocks:
        value = min(round((right + 1) / (count + 2), 3), max_fuzzy)
        value = max(value, knots[-1][1])
        if high > knots[-1][0]:
            knots.append((round(high, 3), value))
        else:
            knots[-1] = (knots[-1][0], value)
    if knots[-1][0] < 1.0:
        knots.append((1.0, knots[-1][1]))
    return knots


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="embedding model name (retrieval.toml)")
    args = parser.parse_args(argv)
    console = Console(width=120)
    index = CodeIndex.open(args.model)
    queries = load_queries()
    samples, exact, exact_right = collect(index, queries)
    grid = fusion_grid(samples)
    fusion, score = best_fusion(index, samples, grid)
    odd, even = samples[1::2], samples[::2]
    fold_a, _ = best_fusion(index, odd, grid)
    fold_b, _ = best_fusion(index, even, grid)
    cross = (accuracy(index, even, fold_a) * len(even) + accuracy(index, odd, fold_b) * len(odd)) / len(samples)
    vector_only = fusion.model_copy(update={"lexical_weight": 0.0, "max_share": 0.0})
    lexical_only = fusion.model_copy(update={"lexical_weight": 1.0, "max_share": 0.0})
    model = index.store.manifest.model
    console.print(f"model {model}: {len(queries)} queries, exact/alias channel {exact} ({exact_right} right), "
                  f"fused {len(samples)}")
    console.print(f"top-1 on the fused queries: current settings {accuracy(index, samples, index.fusion):.3f}; "
                  f"vector only {accuracy(index, samples, vector_only):.3f}; lexical only "
                  f"{accuracy(index, samples, lexical_only):.3f}; best grid {score:.3f} (2-fold cross-validated "
                  f"{cross:.3f})")
    console.print(f"grid: {grid}")
    console.print(f"[embedding.models.{model}] " + ", ".join(f"{k} = {getattr(fusion, k)}" for k in grid),
                  markup=False)
    points = [top1(index, s, fusion) for s in samples]
    knots = isotonic_knots(points, index.config.scores.max_fuzzy)
    console.print(f"calibration = [{', '.join(f'[{r}, {v}]' for r, v in knots)}]")
    held_out = []  # calibration fitted on one half, applied to the other
    for fit, test in ((points[1::2], points[::2]), (points[::2], points[1::2])):
        half = isotonic_knots(fit, index.config.scores.max_fuzzy)
        held_out += [(interpolate(half, raw), right) for raw, right in test]
    confident = [right for value, right in held_out if value >= 0.8]
    console.print(f"2-fold held-out: {len(confident)} fused queries scored >= 0.8, top-1 right in "
                  f"{sum(confident) / max(len(confident), 1):.3f}")
    table = Table(title="calibrated top-1 score vs top-1 accuracy (fused queries)")
    for column in ("score band", "queries", "top-1 right"):
        table.add_column(column)
    edges = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
    calibrated = [(interpolate(knots, raw), right) for raw, right in points]
    for low, high in zip(edges, edges[1:] + (1.01,)):
        band = [right for value, right in calibrated if low <= value < high]
        table.add_row(f"[{low:.2f}, {min(high, 1.0):.2f})", str(len(band)),
                      f"{sum(band) / len(band):.3f}" if band else "-")
    console.print(table)


if __name__ == "__main__":
    main()
