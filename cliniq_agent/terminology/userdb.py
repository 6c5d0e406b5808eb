"""User-imported licensed terminology tables (LOINC, RxNorm, SNOMED CT, ICD-10-CM) in one SQLite file.

Full releases are large (SNOMED CT has over a million descriptions), so they are not loaded into memory: the
importers write ``<user_data_dir>/terminology/terminology.sqlite`` and the KB queries it by code or by folded name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cliniq_agent.core.resources import user_data_dir
from cliniq_agent.terminology.models import Concept

SCHEMA = """
CREATE TABLE IF NOT EXISTS concept (
    system TEXT NOT NULL, code TEXT NOT NULL, display TEXT NOT NULL, component TEXT, parent TEXT,
    status TEXT, source TEXT, PRIMARY KEY (system, code));
CREATE TABLE IF NOT EXISTS name (system TEXT NOT NULL, code TEXT NOT NULL, key TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS name_key ON name (key);
CREATE INDEX IF NOT EXISTS name_code ON name (system, code);
CREATE TABLE IF NOT EXISTS import (system TEXT PRIMARY KEY, file TEXT, concepts INTEGER, names INTEGER,
    skipped INTEGER, imported_at TEXT);
"""


@dataclass(frozen=True)
class UserConcept:
    system: str
    code: str
    display: str
    component: str | None
    parent: str | None
    status: str | None
    source: str | None


def default_path(*, create: bool = True) -> Path:
    """Where the imported tables live; ``create=False`` computes the path without making its folder."""
    data = user_data_dir(create=create)
    if create:
        (data / "terminology").mkdir(parents=True, exist_ok=True)
    return _db_file(data)


@lru_cache(maxsize=8)
def _db_file(data: Path) -> Path:
    """The tables' file under a data folder (one Path per folder: ``TerminologyKB.load`` asks per document)."""
    return data / "terminology" / "terminology.sqlite"


class UserTerminologyDB:
    """Read/write access to the imported tables; a missing file reads as empty."""

    def __init__(self, path: Path | None = None, *, absent: bool = False) -> None:
        """``absent``: the caller has just seen that the file does not exist and will build a new reader when it
        appears (``TerminologyKB.load`` stats it per document): lookups then read as empty without a ``stat``
        each (about twenty per eICR)."""
        self.path = path or default_path()
        self._absent = absent

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path)
        connection.executescript(SCHEMA)
        return connection

    def exists(self) -> bool:
        return not self._absent and self.path.is_file()

    def replace_system(self, system: str, concepts: Iterable[UserConcept], names: Iterable[tuple[str, str, str]],
                       *, file: str, skipped: int) -> tuple[int, int]:
        """Replace every row of ``system`` in one transaction; names are (code, key, text)."""
        connection = self._connect()
        try:
            with connection:
                connection.execute("DELETE FROM concept WHERE system = ?", (system,))
                connection.execute("DELETE FROM name WHERE system = ?", (system,))
                n_concepts = connection.executemany(
                    "INSERT OR REPLACE INTO concept VALUES (?, ?, ?, ?, ?, ?, ?)",
                    ((c.system, c.code, c.display, c.component, c.parent, c.status, c.source) for c in concepts),
                ).rowcount
                n_names = connection.executemany(
                    "INSERT INTO name VALUES (?, ?, ?, ?)", ((system, code, key, text) for code, key, text in names)
                ).rowcount
                connection.execute(
                    "INSERT OR REPLACE INTO import VALUES (?, ?, ?, ?, ?, datetime('now'))",
                    (system, file, n_concepts, n_names, skipped),
                )
        finally:
            connection.close()
        return n_concepts, n_names

    def lookup(self, system: str, code: str) -> tuple[UserConcept, list[str]] | None:
        if not self.exists():
            return None
        connection = self._connect()
        try:
            row = connection.execute("SELECT * FROM concept WHERE system = ? AND code = ?", (system, code)).fetchone()
            if row is None:
                return None
            names = [r[0] for r in connection.execute(
                "SELECT text FROM name WHERE system = ? AND code = ?", (system, code))]
        finally:
            connection.close()
        return UserConcept(*row), names

    def match(self, key: str, system: str | None = None) -> list[tuple[str, str]]:
        """(system, code) pairs whose folded name equals ``key``."""
        if not self.exists():
            return []
        connection = self._connect()
        try:
            if system:
                rows = connection.execute("SELECT DISTINCT system, code FROM name WHERE key = ? AND system = ?",
                                          (key, system)).fetchall()
            else:
                rows = connection.execute("SELECT DISTINCT system, code FROM name WHERE key = ?", (key,)).fetchall()
        finally:
            connection.close()
        return [(r[0], r[1]) for r in rows]

    def iter_concepts(self, system: str | None = None) -> Iterator[UserConcept]:
        if not self.exists():
            return
        connection = self._connect()
        try:
            query = "SELECT * FROM concept" + (" WHERE system = ?" if system else "") + " ORDER BY system, code"
            for row in connection.execute(query, (system,) if system else ()):
                yield UserConcept(*row)
        finally:
            connection.close()

    def imports(self) -> list[dict[str, object]]:
        if not self.exists():
            return []
        connection = self._connect()
        try:
            cursor = connection.execute("SELECT * FROM import ORDER BY system")
            columns = [d[0] for d in cursor.description]
            return [dict(zip(columns, row)) for row in cursor.fetchall()]
        finally:
            connection.close()

    def systems(self) -> set[str]:
        return {str(row["system"]) for row in self.imports()}


def merged_concept(kb_concept: Concept | None, user: tuple[UserConcept, list[str]] | UserConcept) -> Concept:
    """A user-imported (licensed, authoritative) concept, keeping the KB's provenance and alias names."""
    if isinstance(user, tuple):
        row, names = user
    else:
        row, names = user, []
    synonyms = [n for n in names if n != row.display]
    if kb_concept is not None:
        synonyms += [n for n in (kb_concept.display, *kb_concept.synonyms) if n != row.display]
    return Concept(
        system=row.system, code=row.code, display=row.display, synonyms=tuple(dict.fromkeys(synonyms)),
        component=row.component or (kb_concept.component if kb_concept else None), parent=row.parent,
        status=row.status,
        provenance=tuple(dict.fromkeys([*(kb_concept.provenance if kb_concept else ()), f"user:{row.source}"])),
    )
