"""Date and number parsing for FHIR primitives."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cliniq_agent.fhir.values import parse_date, parse_number


@pytest.mark.parametrize("written, value, exact", [
    ("2024-03-04", "2024-03-04", True),
    ("2024-03", "2024-03", True),
    ("1999", "1999", True),
    ("2024-03-04T10:15:00-05:00", "2024-03-04T10:15:00-05:00", True),
    ("2024-03-04T10:15Z", "2024-03-04T10:15:00Z", True),
    ("2024-03-04 10:15:30.25+0530", "2024-03-04T10:15:30.25+05:30", True),
    ("2024-03-04T10:15:00", "2024-03-04", False),          # no zone: FHIR forbids the time
    ("20240304101500-0500", "2024-03-04T10:15:00-05:00", True),  # CDA TS
    ("20240304", "2024-03-04", True),
    ("202403041015", "2024-03-04", False),
    ("03/04/2024", "2024-03-04", True),                    # US month-first
    ("23/07/1991", "1991-07-23", True),                    # first number cannot be a month
    ("March 4, 2024", "2024-03-04", True),
    ("4 Mar 2024", "2024-03-04", True),
    ("Sept 2023", "2023-09", True),
])
def test_parse_date(written: str, value: str, exact: bool) -> None:
    parsed = parse_date(written)
    assert parsed is not None and (parsed.value, parsed.exact) == (value, exact)


@pytest.mark.parametrize("written", ["2024-02-30", "2024-13-01", "13/13/2024", "yesterday", "", "2024-03-04T25:00Z",
                                     "Smarch 3, 2024"])
def test_unparseable_dates(written: str) -> None:
    assert parse_date(written) is None


def test_date_only_drops_the_time_and_says_so() -> None:
    parsed = parse_date("2024-03-04T10:15:00-05:00", date_only=True)
    assert parsed is not None and (parsed.value, parsed.exact) == ("2024-03-04", False)


@pytest.mark.parametrize("written, value, comparator, rest", [
    ("38.4", Decimal("38.4"), None, ""), ("<0.5", Decimal("0.5"), "<", ""), (">= 1,000", Decimal("1000"), ">=", ""),
    ("5.2 mg/dL", Decimal("5.2"), None, "mg/dL"), ("-3", Decimal("-3"), None, ""), (".75", Decimal(".75"), None, ""),
    ("1:64", Decimal("1"), None, ":64"),
])
def test_parse_number(written: str, value: Decimal, comparator: str | None, rest: str) -> None:
    parsed = parse_number(written)
    assert parsed is not None and (parsed.value, parsed.comparator, parsed.rest) == (value, comparator, rest)


@pytest.mark.parametrize("written", ["positive", "", "n/a", None])
def test_not_numbers(written: str | None) -> None:
    assert parse_number(written) is None
