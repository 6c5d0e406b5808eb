"""Turn the compact record's free-form strings into FHIR primitive values.

FHIR ``dateTime`` needs a time zone whenever a time is given and ``date`` allows no time at all, while the
record holds dates as written (ISO, CDA ``TS``, US ``MM/DD/YYYY``, "March 5, 2024"). A value that cannot be
represented exactly is returned together with a flag so the caller can keep the original text beside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import regex

from cliniq_agent.core.dates import date_parts

#: FHIR decimals are exchanged as JSON numbers; beyond 18 significant digits (the precision FHIR asks
#: implementations to keep) a value is not a measurement we can carry faithfully.
MAX_DECIMAL_DIGITS = 18
# Digits are ASCII only: ``int()`` reads Arabic-Indic digits, but FHIR dates and decimals must be ASCII.
_NUMBER = regex.compile(
    r"^(?P<cmp><=|>=|<|>)?\s*(?P<num>[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|[+-]?\.[0-9]+)(?P<rest>.*)$"
)


@dataclass(frozen=True)
class FhirDate:
    """A parsed date: ``value`` is a valid FHIR dateTime (or date when ``date_only``); ``exact`` is False when
    part of what was written (a time without zone) could not be kept."""

    value: str
    exact: bool


def _valid_date(year: int, month: int | None, day: int | None) -> bool:
    if year < 1 or (month is not None and not 1 <= month <= 12):
        return False
    if day is not None:
        try:
            dt.date(year, month or 1, day)
        except ValueError:
            return False
    return True


def _render(year: str, month: str | None, day: str | None, hh: str | None, mm: str | None, ss: str | None,
            frac: str | None, tz: str | None, *, date_only: bool) -> FhirDate | None:
    y, m, d = int(year), int(month) if month else None, int(day) if day else None
    if not _valid_date(y, m, d):
        return None
    text = year + (f"-{month}" if month else "") + (f"-{day}" if day else "")
    has_time = hh is not None
    if not has_time:
        return FhirDate(text, True)
    if int(hh) > 23 or int(mm or 0) > 59 or int(ss or 0) > 59:
        return None
    if date_only or tz is None:
        return FhirDate(text, False)  # FHIR forbids a time without zone: keep the date, flag the loss
    if tz != "Z":
        tz = tz if ":" in tz else f"{tz[:3]}:{tz[3:]}"
        if int(tz[1:3]) > 14:
            return None
    return FhirDate(f"{text}T{hh}:{mm}:{ss or '00'}{frac or ''}{tz}", True)


def parse_date(text: str | None, *, date_only: bool = False) -> FhirDate | None:
    """A written date/time (read by ``core.dates.date_parts``) as a FHIR dateTime (or date). None when it is not
    a recognisable, real date."""
    parts = date_parts(text)
    if parts is None:
        return None
    return _render(parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second, parts.fraction,
                   parts.tz, date_only=date_only)


@dataclass(frozen=True)
class ParsedNumber:
    value: Decimal
    comparator: str | None
    rest: str  # whatever followed the number (often a unit), stripped


def parse_number(text: str | None) -> ParsedNumber | None:
    """A decimal with an optional leading comparator ("<0.5", ">= 1,000"); None when the text is not numeric."""
    if text is None:
        return None
    match = _NUMBER.match(text.strip())
    if not match or _digits(match["num"]) > MAX_DECIMAL_DIGITS:
        return None
    try:
        value = Decimal(match["num"].replace(",", ""))
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return ParsedNumber(value, match["cmp"], match["rest"].strip())


def number_problem(text: str | None) -> str | None:
    """Why a written number cannot be a FHIR decimal (too many digits), or None."""
    match = _NUMBER.match(text.strip()) if text else None
    if match is None:
        return None
    digits = _digits(match["num"])
    if digits <= MAX_DECIMAL_DIGITS:
        return None
    return f"a number of {digits} digits cannot be a FHIR decimal (at most {MAX_DECIMAL_DIGITS}); left out of FHIR"


def _digits(number: str) -> int:
    return sum(ch.isdigit() for ch in number.lstrip("+-0.,")) or 1


def decimal_json(value: Decimal) -> int | float:
    """JSON number for a FHIR decimal (integers stay integers)."""
    return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
