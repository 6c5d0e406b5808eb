"""Speed check for the context engine: N target spans in a synthetic ~5 kB note (English, or mixed
English/Spanish/Portuguese/French/Vietnamese, the slower case: each language's table runs).

Run ``python -m cliniq_agent.eval.negex``. Why synthetic: the number we care about is the
per-note cost (fold + segment + match once, then one cheap lookup per span), which depends on
note length and span count, not on the content; the sentences are our own.
"""

from __future__ import annotations

import statistics
import time

import regex

from cliniq_agent.core.resources import kb_path

from cliniq_agent.text.context.engine import ContextEngine
from cliniq_agent.text.doc import TextDoc

_ENGLISH = (
    "Patient denies fever, cough, or rash but reports a sore throat since Monday.",
    "History of tuberculosis treated in 2015; his mother has hepatitis B.",
    "Not vaccinated against measles; measles IgM positive and rubella IgM negative.",
    "Differential includes dengue versus chikungunya; malaria was ruled out by smear.",
    "Return if shortness of breath develops. Suspected pertussis, PCR pending.",
    "Family history: diabetes in father, asthma in a sister.",
)
_OTHER = (
    "Niega fiebre; sarampión descartado. Su madre tiene tuberculosis.",
    "Sem febre, mas com IgM reagente para sarampo. Histórico familiar de hepatite C.",
    "Pas de fièvre ; rougeole exclue. Sa mère a eu une tuberculose.",
    "Bệnh nhân không sốt, đã loại trừ sốt xuất huyết, mẹ bị lao phổi.",
)
NOTES = {"en": _ENGLISH, "mixed": _ENGLISH + _OTHER}
_TARGET_WORDS = regex.compile(
    r"fever|cough|rash|tuberculosis|hepatitis B|measles|rubella|dengue|chikungunya|malaria|pertussis|"
    r"diabetes|asthma|sarampión|sarampo|hepatite C|rougeole|sốt xuất huyết|lao phổi|fièvre|febre|fiebre",
    regex.IGNORECASE,
)


def build_note(target_chars: int = 5000, kind: str = "mixed") -> str:
    """A note of about ``target_chars`` characters: English only, or five languages mixed."""
    sentences = NOTES[kind]
    parts: list[str] = []
    size = 0
    index = 0
    while size < target_chars:
        sentence = sentences[index % len(sentences)]
        parts.append(sentence)
        size += len(sentence) + 1
        index += 1
        if index % 4 == 0:
            parts.append("\n")
    return " ".join(parts)


def run_benchmark(n_spans: int = 100, note_chars: int = 5000, repeats: int = 20,
                  engine: ContextEngine | None = None, kind: str = "mixed") -> dict[str, float]:
    """Time ``n_spans`` assessments on one note, cold (a new document each repeat) and warm.

    Returns milliseconds: cold_ms_p50 / cold_ms_max (analysis included), warm_ms_p50 (the
    analysis kept on the document), plus the note length and span count actually used.
    """
    engine = engine or ContextEngine.default()
    base = build_note(note_chars, kind)
    spans = [m.span() for m in _TARGET_WORDS.finditer(base)]
    spans = (spans * (n_spans // max(len(spans), 1) + 1))[:n_spans]
    cold: list[float] = []
    warm: list[float] = []
    for repeat in range(repeats):
        doc = TextDoc(base + " " * (repeat + 1))   # a new document each time: its analysis is not yet made
        start = time.perf_counter()
        for span in spans:
            engine.assess(doc, span)
        cold.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        for span in spans:
            engine.assess(doc, span)
        warm.append((time.perf_counter() - start) * 1000)
    return {
        "note_chars": float(len(base)),
        "spans": float(len(spans)),
        "cold_ms_p50": statistics.median(cold),
        "cold_ms_max": max(cold),
        "warm_ms_p50": statistics.median(warm),
    }


def main() -> None:
    start = time.perf_counter()
    engine = ContextEngine.from_folder(kb_path("context"))
    load_ms = (time.perf_counter() - start) * 1000
    print(f"rule tables load + compile: {load_ms:.0f} ms (once per process)")
    for kind in ("en", "mixed"):
        result = run_benchmark(engine=engine, kind=kind)
        print(
            f"{kind:5} note, {int(result['spans'])} spans in {int(result['note_chars'])} chars: "
            f"cold p50 {result['cold_ms_p50']:.1f} ms (max {result['cold_ms_max']:.1f} ms), "
            f"warm p50 {result['warm_ms_p50']:.2f} ms"
        )


if __name__ == "__main__":
    main()
