"""Per-system code validity: LOINC mod-10, SNOMED CT Verhoeff, ICD-10-CM existence, numeric ids.

A code that fails here never becomes a FHIR coding; the compact record keeps it visible as a
``CodeIssue`` so nothing is silently dropped.
"""

from __future__ import annotations

import os
from functools import lru_cache

import regex

from cliniq_agent.core.code_systems import checked_systems

_LOINC_RE = regex.compile(r"^(\d{1,7})-(\d)$")
_SNOMED_RE = regex.compile(r"^[1-9]\d{5,17}$")
_NUMERIC_RE = regex.compile(r"^\d{1,8}$")
_CVX_RE = regex.compile(r"^\d{1,3}$")
_ICD10_RE = regex.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$|^U0[0-9](\.?[0-9A-Z]{1,4})?$")

# Verhoeff tables (dihedral group D5): multiplication, permutation, inverse.
_VD = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6), (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4), (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VP = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2), (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def _checked(system: str) -> str:
    """``system`` when kb/terminology/code_systems.tsv marks it checked; ValueError otherwise."""
    if system not in checked_systems():
        raise ValueError(f"{system!r} is not a checked code system")
    return system


def loinc_check_digit(payload: str) -> int:
    """LOINC's mod-10 check digit of the part before the hyphen (Luhn, doubling from the right)."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            digit = digit // 10 + digit % 10
        total += digit
    return (10 - total % 10) % 10


def verhoeff_valid(number: str) -> bool:
    """True when the last digit of ``number`` is its Verhoeff check digit."""
    check = 0
    for position, char in enumerate(reversed(number)):
        check = _VD[check][_VP[position % 8][int(char)]]
    return check == 0


@lru_cache(maxsize=1)
def _icd10_codes() -> frozenset[str]:
    """All ICD-10-CM codes of the installed simple-icd-10-cm release.

    Importing that package parses its XML tables (~2.7 s here), which would dominate a single CLI
    run, so its code list is cached once per package version in the user cache dir (~50 ms to read).
    """
    from importlib.metadata import version

    from cliniq_agent.core.resources import user_cache_dir

    cache = user_cache_dir() / f"icd10cm-codes-simple-icd-10-cm-{version('simple-icd-10-cm')}.txt"
    if cache.exists():
        return frozenset(cache.read_text(encoding="ascii").split())
    import simple_icd_10_cm

    codes = [code for code in simple_icd_10_cm.get_all_codes(True) if "-" not in code]
    temp = cache.with_suffix(f".{os.getpid()}.tmp")
    temp.write_text("\n".join(codes), encoding="ascii")
    os.replace(temp, cache)
    return frozenset(codes)


def icd10_exists(code: str) -> bool:
    """ICD-10-CM existence (category, subcategory or code) in the simple-icd-10-cm tables."""
    return code in _icd10_codes()


def normalize_code(system: str, code: str) -> str:
    """Canonical spelling: trimmed; ICD-10-CM upper-case with its dot after the category."""
    system = _checked(system)
    code = code.strip()
    if system == "icd10":
        code = code.upper().replace(" ", "")
        if "." not in code and len(code) > 3:
            code = f"{code[:3]}.{code[3:]}"
    return code


def check_code(system: str, code: str) -> str | None:
    """Return ``None`` when ``code`` is valid for ``system``, else a one-line reason."""
    code = normalize_code(system, code)
    if system == "loinc":
        match = _LOINC_RE.match(code)
        if not match:
            return "not in LOINC NNNNN-C form"
        if loinc_check_digit(match.group(1)) != int(match.group(2)):
            return "LOINC mod-10 check digit fails"
        return None
    if system == "snomed":
        if not _SNOMED_RE.match(code):
            return "not a 6-18 digit SNOMED CT identifier"
        if not verhoeff_valid(code):
            return "SNOMED CT Verhoeff check digit fails"
        if code[-3:-1] not in {"00", "10"}:
            return "SNOMED CT identifier is not a concept id (partition)"
        return None
    if system == "icd10":
        if not _ICD10_RE.match(code):
            return "not in ICD-10-CM form"
        if not icd10_exists(code):
            return "not an ICD-10-CM code (simple-icd-10-cm)"
        return None
    if system == "rxnorm":
        return None if _NUMERIC_RE.match(code) else "RxNorm id must be numeric"
    if system == "cvx":
        return None if _CVX_RE.match(code) else "CVX code must be 1-3 digits"
    raise ValueError(f"unknown code system {system}")
