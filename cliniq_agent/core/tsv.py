"""Read the TSV data tables under kb/ ('#' comment lines, then a header row, then rows)."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from cliniq_agent.core.resources import kb_path


def read_tsv(path: Path) -> list[dict[str, str]]:
    """Rows as dicts keyed by the header; empty cells become ''."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    return [{key: (value or "").strip() for key, value in row.items() if key} for row in reader]


@lru_cache(maxsize=None)
def kb_table(*parts: str) -> tuple[dict[str, str], ...]:
    """A kb/ table, cached for the process (tables are read-only data)."""
    return tuple(read_tsv(kb_path(*parts)))
