"""The one date parser: HL7 TS (CDA), ISO and common written forms (several languages) to ISO 8601.

The CDA parser reads TS values with :func:`iso_date` / :func:`iso_datetime`; the text tiers and scoring find
written dates in text with :func:`normalize_date`; the FHIR builder reads a whole value with :func:`date_parts`
(the parts as written, at the precision given) and renders them (``fhir/values.parse_date``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import regex

#: Month names and abbreviations (en, es, pt, fr) -> month number.
MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january", "ene", "enero", "janeiro", "janvier"),
            ("feb", "february", "febrero", "fev", "fevereiro", "fevrier", "fév", "février"),
            ("mar", "march", "marzo", "marco", "mars"),
            ("apr", "april", "abr", "abril", "avr", "avril"),
            ("may", "mayo", "mai", "maio"),
            ("jun", "june", "junio", "junho", "juin"),
            ("jul", "july", "julio", "julho", "juillet"),
            ("aug", "august", "ago", "agosto", "aout", "août"),
            ("sep", "sept", "september", "septiembre", "set", "setembro", "septembre"),
            ("oct", "october", "octubre", "out", "outubro", "octobre"),
            ("nov", "november", "noviembre", "novembro", "novembre"),
            ("dec", "december", "dic", "diciembre", "dez", "dezembro", "decembre", "décembre"),
        ],
        start=1,
    )
    for name in names
}

_ISO = regex.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?(?!\d)")
_SLASH = regex.compile(r"(?<!\d)(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?!\d)")
_WORDY_DMY = regex.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+(?:de\s+)?([^\W\d_]{3,10})\.?,?\s+(?:de\s+)?(\d{4})(?!\d)")
_WORDY_MDY = regex.compile(r"\b([^\W\d_]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")


def _iso(year: int, month: int, day: int, hour: int | None = None, minute: int | None = None) -> str | None:
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    if hour is None:
        return date.isoformat()
    try:
        return dt.datetime(year, month, day, hour, minute or 0).isoformat(timespec="minutes")
    except ValueError:
        return date.isoformat()


# stdlib ``re``: the same matches as ``regex`` for this pattern, at a third of the cost (the CDA parser reads
# every effectiveTime through it).
_TS = re.compile(
    r"^(?P<y>\d{4})(?P<mo>\d{2})?(?P<d>\d{2})?(?P<h>\d{2})?(?P<mi>\d{2})?(?P<s>\d{2})?(?P<f>\.\d+)?"
    r"(?P<tz>[+-]\d{4})?$"
)


def _parse_ts(value: str | None) -> re.Match | None:
    if not value:
        return None
    return _TS.match(value.strip())


def iso_date(value: str | None) -> str | None:
    """HL7 TS -> 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' (date part only); None if unparseable."""
    match = _parse_ts(value)
    return _date_part(match) if match else None


def _date_part(match: re.Match) -> str | None:
    year, month, day = match["y"], match["mo"], match["d"]
    try:
        if day:
            return dt.date(int(year), int(month), int(day)).isoformat()
        if month:
            if not 1 <= int(month) <= 12:
                return None
            return f"{year}-{month}"
    except ValueError:
        return None
    return year


def iso_datetime(value: str | None) -> str | None:
    """HL7 TS -> ISO 8601 keeping the precision given (time and UTC offset when present)."""
    match = _parse_ts(value)
    if not match:
        return None
    day = _date_part(match)
    if day is None or not match["h"]:
        return day
    if len(day) < 10:
        return None  # a time without a full date is not a valid TS
    hour, minute, second = match["h"], match["mi"] or "00", match["s"] or "00"
    if int(hour) > 23 or int(minute) > 59 or int(second) > 59:  # what datetime() would refuse
        return day
    out = f"{day}T{hour}:{minute}:{second}"
    if match["tz"]:
        tz = match["tz"]
        out += f"{tz[:3]}:{tz[3:]}"
    return out


def normalize_date(text: str | None, *, keep_time: bool = False) -> str | None:
    """First date found in ``text`` as YYYY-MM-DD (or YYYY-MM-DDTHH:MM when ``keep_time``)."""
    if not text:
        return None
    text = text.strip()
    hl7 = iso_datetime(text) if len(text) >= 8 else None
    if hl7:
        return hl7 if keep_time else hl7[:10]
    match = _ISO.search(text)
    if match:
        year, month, day, hour, minute, _ = match.groups()
        return _iso(int(year), int(month), int(day), *( (int(hour), int(minute)) if keep_time and hour else ()))
    match = _SLASH.search(text)
    if match:
        first, second, year = (int(x) for x in match.groups())
        return _iso(year, *_month_day(first, second))
    match = _WORDY_DMY.search(text)
    if match and match.group(2).lower() in MONTHS:
        return _iso(int(match.group(3)), MONTHS[match.group(2).lower()], int(match.group(1)))
    match = _WORDY_MDY.search(text)
    if match and match.group(1).lower() in MONTHS:
        return _iso(int(match.group(3)), MONTHS[match.group(1).lower()], int(match.group(2)))
    return None


# Whole values (``date_parts``): ASCII digits only, the precision as written.
_ISO_VALUE = regex.compile(
    r"^(?P<y>[0-9]{4})(?:-(?P<mo>[0-9]{2})(?:-(?P<d>[0-9]{2})(?:[T ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})"
    r"(?::(?P<s>[0-9]{2})(?P<f>\.[0-9]+)?)?\s*(?P<tz>Z|[+-][0-9]{2}:?[0-9]{2})?)?)?)?$"
)
_SLASHED_VALUE = regex.compile(r"^(?P<a>[0-9]{1,2})[/.-](?P<b>[0-9]{1,2})[/.-](?P<y>[0-9]{4})$")
_WORDY_VALUES = (
    regex.compile(r"^(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>[0-9]{4})$"),
    regex.compile(r"^(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?\s+(?P<mon>[A-Za-z]{3,9})\.?,?\s+(?P<y>[0-9]{4})$"),
    regex.compile(r"^(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<y>[0-9]{4})$"),
)


@dataclass(frozen=True)
class DateParts:
    """A date (and time) as written, split into its parts: strings of digits, None where not given; ``tz`` as
    written ('Z', '+05:00', '-0500'). Whether the parts make a real date is the caller's check."""

    year: str
    month: str | None = None
    day: str | None = None
    hour: str | None = None
    minute: str | None = None
    second: str | None = None
    fraction: str | None = None
    tz: str | None = None


def date_parts(text: str | None) -> DateParts | None:
    """A value that is one date and nothing else, split into its parts; None for anything else.

    Read: ISO 8601 at any precision (with a time, seconds, fraction and zone), an HL7 TS (the year and month at
    least; a time needs its minutes), a slashed date (month first unless the first number cannot be a month),
    "March 5, 2024", "5 March 2024" and "March 2024" (month names of :data:`MONTHS`)."""
    raw = (text or "").strip()
    if not raw:
        return None
    match = _ISO_VALUE.match(raw)
    if match is None and raw.isascii() and (ts := _TS.match(raw)) and ts["mo"] and (ts["mi"] or not ts["h"]) \
            and (ts["s"] or not ts["f"]):
        match = ts
    if match is not None:
        return DateParts(match["y"], match["mo"], match["d"], match["h"], match["mi"], match["s"], match["f"],
                         match["tz"])
    match = _SLASHED_VALUE.match(raw)
    if match:
        month, day = _month_day(int(match["a"]), int(match["b"]))
        return DateParts(match["y"], f"{month:02d}", f"{day:02d}")
    for pattern in _WORDY_VALUES:
        match = pattern.match(raw)
        if match:
            month = MONTHS.get(match["mon"].casefold())
            day = match.groupdict().get("d")
            return DateParts(match["y"], f"{month:02d}", f"{int(day):02d}" if day else None) if month else None
    return None


def _month_day(first: int, second: int) -> tuple[int, int]:
    """Month and day of a slashed date: month first (US eICRs) unless the first number cannot be a month."""
    return (second, first) if first > 12 >= second else (first, second)
