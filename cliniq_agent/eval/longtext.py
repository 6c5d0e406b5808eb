"""Reproducible synthetic long notes for the text-scaling benchmark and the no-quadratic tests.

Why: a hostile or simply huge note must cost time in proportion to its size. These generators build
notes of any size from the shapes that used to blow up — prose, many short lines, known-format notes
with many Dx/Lab lines, one huge labelled line — with real clinical vocabulary (diseases, findings,
negations, family history, inline codes), so every text tier has work to do. Same seed, same text.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# Sentences in the style of examples/narrative.txt: findings, assertions, inline codes and cue words.
_PROSE = (
    "Seen {date} in the pediatric ED with {n} days of fever and a rash that began on the face and spread down the trunk.",
    "Cough, coryza and conjunctivitis; Koplik spots noted on exam.",
    "No MMR on record; family declined vaccination.",
    "Her older brother had measles last year.",
    "Measles IgM (LOINC 35275-7) positive.",
    "Assessment: measles (SNOMED 14189004).",
    "Rubella considered but ruled out.",
    "Vitamin A given in the ED.",
    "Patient denies chest pain, vomiting or diarrhea.",
    "Paroxysmal cough with inspiratory whoop and post-tussive vomiting for {n} days.",
    "Suspected pertussis; nasopharyngeal swab sent for Bordetella pertussis PCR.",
    "Mother reports a history of tuberculosis in the grandfather.",
    "Started azithromycin 500 MG Oral Tablet daily for {n} days.",
    "Influenza was ruled out by rapid antigen test.",
    "Chest radiograph shows a right lower lobe infiltrate consistent with pneumonia.",
    "Diagnosis of Legionnaires' disease is likely given the urinary antigen result.",
    "Stool culture grew Salmonella enterica; no other household members are ill.",
    "Watery diarrhea with severe dehydration after travel to an area with cholera.",
    "Lyme disease is in the differential after a tick bite {n} weeks ago.",
    "Temp 38.{n} C, heart rate 1{n}0, oxygen saturation 9{n}% on room air.",
)
_DX = (
    "Measles (SNOMED 14189004)", "Pertussis (SNOMED 27836007)", "influenza ruled out",
    "Legionnaires' disease (SNOMED 37117007)", "Salmonella infection - suspected", "Lyme disease",
    "Hepatitis A (ICD-10 B15.9)", "no evidence of tuberculosis", "Shigellosis (ICD-10 A03.9)",
)
_LAB = (
    "Legionella pneumophila Ag [Presence] in Urine by Immunoassay (LOINC 32781-7) - Positive [Urine, final]",
    "Measles virus IgM Ab [Presence] in Serum (LOINC 35275-7) - Positive",
    "Bordetella pertussis DNA [Presence] in Nasopharynx by NAA with probe detection (LOINC 43913-3) - Not detected",
    "Influenza virus A RNA [Presence] in Nasopharynx by NAA with probe detection - Negative",
    "Stool culture - Salmonella enterica isolated [Stool, final]",
    "WBC 12.{n} x10^3/uL",
)
_HEADER = (
    "Patient: Tomas Whitfield\nGender: M\nDOB: 1971-11-03\nLocation: Albuquerque, NM 87102\n"
    "Facility: Sandia Valley Urgent Care (NPI: 1234567893)\nEncounter: 2026-07-08\n"
    "Reason: fever, chills and myalgia for 4 days after a camping trip; rodent droppings in the cabin\n"
)
_TAIL = ("Vitals: Temp 38.9C, HR 104, RR 24, SpO2 93%, BP 112/70\n"
         "Meds: Azithromycin 500 MG Oral Tablet (RxNorm 248656)\n")


def _fill(template: str, rng: random.Random) -> str:
    return template.format(n=rng.randint(1, 9), date=f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")


def _grow(target_bytes: int, seed: int, piece: Callable[[random.Random], str], head: str = "", tail: str = "") -> str:
    """``head`` + pieces + ``tail`` until the UTF-8 size reaches ``target_bytes`` (pieces are ASCII)."""
    rng = random.Random(seed)
    parts, size = [head], len(head) + len(tail)
    while size < target_bytes:
        part = piece(rng)
        parts.append(part)
        size += len(part)
    parts.append(tail)
    return "".join(parts)


def prose(target_bytes: int, seed: int = 0) -> str:
    """Narrative paragraphs of 4-8 sentences separated by blank lines."""
    def paragraph(rng: random.Random) -> str:
        return " ".join(_fill(rng.choice(_PROSE), rng) for _ in range(rng.randint(4, 8))) + "\n\n"
    return _grow(target_bytes, seed, paragraph)


def short_lines(target_bytes: int, seed: int = 0) -> str:
    """Many short narrative lines (one sentence or fragment each)."""
    def line(rng: random.Random) -> str:
        sentence = _fill(rng.choice(_PROSE), rng)
        return (sentence if rng.random() < 0.5 else sentence[: rng.randint(10, 40)]) + "\n"
    return _grow(target_bytes, seed, line)


def known_format_lines(target_bytes: int, seed: int = 0) -> str:
    """A known-format note (header as in examples/known_format.txt) with many Dx: and Lab: lines."""
    def line(rng: random.Random) -> str:
        if rng.random() < 0.5:
            return f"Dx: {rng.choice(_DX)}\n"
        return f"Lab: {_fill(rng.choice(_LAB), rng)}\n"
    return _grow(target_bytes, seed, line, _HEADER, _TAIL)


def single_lab_line(target_bytes: int, seed: int = 0) -> str:
    """A known-format note whose one Lab: line holds the whole size (clauses joined by '; ')."""
    return _grow(target_bytes, seed, lambda rng: _fill(rng.choice(_LAB), rng) + "; ", _HEADER + "Lab: ", "\n" + _TAIL)


SHAPES: dict[str, Callable[[int, int], str]] = {
    "prose": prose,
    "short lines": short_lines,
    "known-format lines": known_format_lines,
    "one huge Lab line": single_lab_line,
}
