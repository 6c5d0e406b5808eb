"""Date normalisation: HL7 TS, ISO and common written forms to ISO 8601 (date or date-time)."""

from __future__ import annotations

import datetime as dt

import regex

_MONTHS = {
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

_HL7_TS = regex.compile(r"^(\d{4})(\d{2})?(\d{2})?(?:(\d{2})(\d{2})?(\d{2})?(?:\.\d+)?)?([+-]\d{4})?$")
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


def from_hl7_ts(value: str | None) -> str | None:
    """HL7 v3 TS ('20221004170437-0700', '19430926', '2022') → ISO 8601 at the precision given."""
    if not value:
        return None
    match = _HL7_TS.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, tz = match.groups()
    if not month:
        return year
    if not day:
        return f"{year}-{month}"
    date = _iso(int(year), int(month), int(day))
    if date is None or not hour:
        return date
    clock = f"{hour}:{minute or '00'}:{second or '00'}"
    offset = f"{tz[:3]}:{tz[3:]}" if tz else ""
    return f"{date}T{clock}{offset}"


def normalize_date(text: str | None, *, keep_time: bool = False) -> str | None:
    """First date found in ``text`` as YYYY-MM-DD (or YYYY-MM-DDTHH:MM when ``keep_time``)."""
    if not text:
        return None
    text = text.strip()
    hl7 = from_hl7_ts(text) if len(text) >= 8 and _HL7_TS.match(text) else None
    if hl7:
        return hl7 if keep_time else hl7[:10]
    match = _ISO.search(text)
    if match:
        year, month, day, hour, minute, _ = match.groups()
        return _iso(int(year), int(month), int(day), *( (int(hour), int(minute)) if keep_time and hour else ()))
    match = _SLASH.search(text)
    if match:
        first, second, year = (int(x) for x in match.groups())
        month, day = (first, second) if first <= 12 else (second, first)
        return _iso(year, month, day)
    match = _WORDY_DMY.search(text)
    if match and match.group(2).lower() in _MONTHS:
        return _iso(int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1)))
    match = _WORDY_MDY.search(text)
    if match and match.group(1).lower() in _MONTHS:
        return _iso(int(match.group(3)), _MONTHS[match.group(1).lower()], int(match.group(2)))
    return None
