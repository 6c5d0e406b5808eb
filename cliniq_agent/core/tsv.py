"""The one reader of TSV data tables under kb/: '#' comment lines and blank lines, then a header row, then rows."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from cliniq_agent.core.errors import CliniqError
from cliniq_agent.core.resources import kb_path


class TableError(CliniqError):
    """A kb/ table that cannot be read as its header says (no header, a row with too many cells)."""


def numbered_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows with their 1-based line numbers, as dicts keyed by the header; cells are stripped, missing trailing
    cells read as '', a row with more cells than the header is an error (a stray tab would shift columns)."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [(number, line) for number, line in enumerate(handle, 1)
                 if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise TableError(f"{path}: no header row")
    header = [name.strip() for name in lines[0][1].rstrip("\r\n").split("\t")]
    rows = []
    for number, line in lines[1:]:
        values = next(csv.reader([line.rstrip("\r\n")], delimiter="\t", quoting=csv.QUOTE_NONE))
        if len(values) > len(header):
            raise TableError(f"{path}:{number}: {len(values)} columns, header has {len(header)}")
        values += [""] * (len(header) - len(values))
        rows.append((number, {key: value.strip() for key, value in zip(header, values)}))
    return rows


def read_tsv(path: Path) -> list[dict[str, str]]:
    """Rows as dicts keyed by the header (see :func:`numbered_rows`)."""
    return [row for _, row in numbered_rows(path)]


@lru_cache(maxsize=None)
def kb_table(*parts: str) -> tuple[dict[str, str], ...]:
    """A kb/ table, cached for the process (tables are read-only data)."""
    return tuple(read_tsv(kb_path(*parts)))
