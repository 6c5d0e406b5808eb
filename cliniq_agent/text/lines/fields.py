"""Value parsers for single labelled fields: gender, facility, vitals, pregnancy, travel."""

from __future__ import annotations

from functools import lru_cache

import regex

from cliniq_agent.core.dates import normalize_date
from cliniq_agent.core.schema import Travel, Vital
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.core.textnorm import fold

_NPI = regex.compile(r"\(?\s*(?:NPI|ID|CLIA)\s*[:#]?\s*(?P<id>[\w-]+)\s*\)?", regex.I)
_BP = regex.compile(r"(?P<sbp>\d{2,3})\s*/\s*(?P<dbp>\d{2,3})")
_NUMBER_UNIT = regex.compile(r"(?P<value>\d+(?:[.,]\d+)?)\s*(?P<unit>°\s?[CF]|deg\s?[CF]|[CF](?![a-z])|%|bpm|/min|mm\s?hg|kg/m\^?2|kg|lbs?|cm|in(?![a-z]))?", regex.I)
_YES = {"yes", "y", "true", "pregnant", "positive", "si", "sim", "oui", "co"}
_NO = {"no", "n", "false", "not pregnant", "negative", "nao", "non", "khong"}


@lru_cache(maxsize=1)
def _genders() -> dict[str, str]:
    return {fold(row["word"]): row["code"] for row in kb_table("known_format", "genders.tsv")}


@lru_cache(maxsize=1)
def _vital_tokens() -> tuple[regex.Pattern[str], dict[str, tuple[str, str]]]:
    table = {fold(row["token"]): (row["vital"], row["default_unit"]) for row in kb_table("known_format", "vitals.tsv")}
    alternatives = "|".join(regex.escape(token) for token in sorted(table, key=len, reverse=True))
    pattern = regex.compile(rf"(?<![\w])(?P<token>{alternatives})(?![\w])\s*[:=]?\s*(?:of\s+|is\s+)?(?P<rest>[^,;]*)")
    return pattern, table


@lru_cache(maxsize=1)
def _units() -> dict[str, str]:
    return {fold(row["written"]).replace(" ", ""): row["ucum"] for row in kb_table("known_format", "units.tsv")}


def to_ucum(unit: str | None, default: str | None = None) -> str | None:
    if not unit:
        return default
    key = fold(unit).replace(" ", "").replace("°", "")
    return _units().get(key) or _units().get(fold(unit).replace(" ", "")) or unit


def parse_gender(value: str) -> str | None:
    word = fold(value).strip(" .")
    return _genders().get(word) or _genders().get(word.split()[0] if word else "", None) or (value.strip() or None)


def parse_facility(value: str) -> tuple[str | None, str | None]:
    """'Denver Health (NPI: 1234567800)' → ('Denver Health', '1234567800')."""
    match = _NPI.search(value)
    if not match:
        return value.strip() or None, None
    name = (value[: match.start()] + value[match.end():]).strip(" ,;-")
    return name or None, match.group("id")


def parse_vitals(value: str, *, line_offset: int) -> list[tuple[Vital, tuple[int, int]]]:
    """'Temp 39.6C, HR 111, BP 118/74, SpO2 98%' → Vitals with spans into the source text."""
    pattern, table = _vital_tokens()
    folded = fold(value)
    vitals: list[tuple[Vital, tuple[int, int]]] = []
    for match in pattern.finditer(folded):
        vital_name, default_unit = table[match.group("token")]
        rest_start = match.start("rest")
        rest = value[rest_start: match.end("rest")]
        span = (line_offset + match.start(), line_offset + match.end())
        if vital_name == "bp":
            bp = _BP.search(rest)
            if bp:
                vitals.append((Vital(name="sbp", value=bp.group("sbp"), unit="mm[Hg]"), span))
                vitals.append((Vital(name="dbp", value=bp.group("dbp"), unit="mm[Hg]"), span))
                continue
            vital_name = "sbp"
        number = _NUMBER_UNIT.search(rest)
        if not number or number.start() > 3:
            continue
        unit = to_ucum(number.group("unit"), default_unit)
        if vital_name == "temp" and not number.group("unit"):
            unit = "[degF]" if float(number.group("value").replace(",", ".")) > 50 else "Cel"
        vitals.append((Vital(name=vital_name, value=number.group("value").replace(",", "."), unit=unit), span))
    return vitals


def parse_pregnancy(value: str) -> tuple[bool | None, str | None]:
    """(pregnant?, estimated due date) from 'yes, EDD 2026-08-01' / 'no' / '24 weeks'."""
    folded = fold(value).strip()
    due = normalize_date(value)
    head = regex.split(r"[,;(]", folded, maxsplit=1)[0].strip()
    if head in _NO or folded.startswith(("not ", "no ")):
        return False, None
    if head in _YES or regex.search(r"\b\d+\s*(?:weeks?|wks?|semanas?)\b", folded) or due:
        return True, due
    return None, due


def parse_travel(value: str) -> Travel | None:
    """'Brazil (2026-03-01 to 2026-03-20)' → Travel(place, start, end)."""
    dates = regex.findall(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}", value)
    place = regex.sub(r"\(.*?\)|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}|\b(?:from|to|until|returned)\b", " ", value)
    place = regex.sub(r"\s+", " ", place).strip(" ,;-–—")
    if fold(place) in {"none", "no", "denies", "n/a", ""}:
        return None
    return Travel(
        place=place or None,
        start=normalize_date(dates[0]) if dates else None,
        end=normalize_date(dates[1]) if len(dates) > 1 else None,
    )
