"""SQLite trace store under the user data dir (one file, WAL, safe for concurrent runs).

PHI stays on this machine: the store holds the extracted record and evidence snippets, the input's
name and sha256, and — unless the run's ``trace_source`` option is off (or no trace is kept at all) — the
decoded input text in a separate ``sources`` table, so that ``cliniq-agent review`` can show each item's
words in their document. The store is a local file next to the extracted PHI it already holds;
``TraceStore.forget_sources`` deletes the stored texts and keeps the rest of the trace.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from pydantic import BaseModel, Field, JsonValue

from cliniq_agent.core.resources import user_data_dir
from cliniq_agent.core.state import ExcludedItem, StepRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, source_name TEXT, source_sha256 TEXT,
    format TEXT, route TEXT, status TEXT NOT NULL, duration_ms REAL, version TEXT,
    options TEXT, record TEXT, excluded TEXT, error TEXT
);
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    node TEXT NOT NULL, started_at TEXT, duration_ms REAL, summary TEXT, outputs TEXT,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
CREATE TABLE IF NOT EXISTS sources (
    run_id TEXT PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE, text TEXT NOT NULL
);
"""


def _json(value: object) -> str:
    """JSON text for a column: orjson (several times faster than json on a run's record and step outputs; the
    column is read back with json.loads, so only the spacing differs), json for what orjson refuses."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value)


class RunTrace(BaseModel):
    """Everything an auditor needs to replay why a run produced what it produced."""

    run_id: str
    started_at: str
    source_name: str | None = None
    source_sha256: str | None = None
    format: str | None = None
    route: str | None = None
    status: str = "ok"
    duration_ms: float | None = None
    version: str | None = None
    options: dict[str, JsonValue] = Field(default_factory=dict)
    record: dict[str, JsonValue] | None = None
    #: The record as JSON text, when the engine had pydantic write it straight from the model (``record`` stays
    #: None then): the runs.record column without building the dict and serialising it again.
    record_json: str | None = Field(default=None, exclude=True, repr=False)
    excluded: list[ExcludedItem] = Field(default_factory=list)
    error: str | None = None
    steps: list[StepRecord] = Field(default_factory=list)
    source_text: str | None = Field(default=None, exclude=True, repr=False)  # the decoded input, when kept


class TraceStore:
    """Runs, steps and (optionally) source texts in one SQLite file.

    Each thread keeps one open connection (per process: a forked worker opens its own): opening a
    connection and setting its PRAGMAs cost more than a run's writes. Every ``save`` is still its own
    committed transaction, so a killed process loses no finished run."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or user_data_dir() / "traces.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit no longer waits for an fsync (~6 ms per run, more than the whole
        # extraction of an eICR); the file never corrupts, and a killed process loses nothing — only an OS
        # crash or power cut may lose the last few runs' traces (SQLite's recommended WAL setting).
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.row_factory = sqlite3.Row
        self._local.held = (os.getpid(), db)
        return db

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, committed when the block ends (rolled back if it raises)."""
        db = self._connection()
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.commit()

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends or the store is dropped)."""
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None and held[0] == os.getpid():
            held[1].close()

    def save(self, trace: RunTrace) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (trace.run_id, trace.started_at, trace.source_name, trace.source_sha256, trace.format, trace.route,
                 trace.status, trace.duration_ms, trace.version, _json(trace.options),
                 trace.record_json if trace.record_json is not None
                 else _json(trace.record) if trace.record is not None else None,
                 _json([e.model_dump(mode="json") for e in trace.excluded]), trace.error),
            )
            db.execute("DELETE FROM steps WHERE run_id = ?", (trace.run_id,))
            db.executemany(
                "INSERT INTO steps VALUES (?,?,?,?,?,?,?)",
                [(trace.run_id, seq, s.node, s.started_at, s.duration_ms, s.summary, _json(s.outputs))
                 for seq, s in enumerate(trace.steps)],
            )
            if trace.source_text is not None:
                db.execute("INSERT OR REPLACE INTO sources VALUES (?,?)", (trace.run_id, trace.source_text))

    def forget_sources(self) -> int:
        """Delete every stored input text (the traces stay); returns how many were deleted."""
        with self._connect() as db:
            return db.execute("DELETE FROM sources").rowcount

    def prune(self, *, before: str | None = None, keep_last: int | None = None, sources_only: bool = False,
              chunk: int = 2000) -> int:
        """Delete runs (with their steps and stored text) that started before ``before`` (an ISO timestamp in
        UTC, as ``started_at`` is written) or that are older than the newest ``keep_last``; both given: a run
        goes when either says so. ``sources_only`` deletes only those runs' stored input texts (PHI) and keeps
        their traces. Deletes ``chunk`` runs per transaction, so runs being saved meanwhile wait at most one
        chunk. Returns how many runs (or texts) were deleted. The file keeps its size until ``vacuum``."""
        if before is None and keep_last is None:
            raise ValueError("prune needs a cut-off: before, keep_last or both")
        where, args = [], []
        if before is not None:
            where.append("started_at < ?")
            args.append(before)
        if keep_last is not None:
            where.append("run_id NOT IN (SELECT run_id FROM runs ORDER BY started_at DESC LIMIT ?)")
            args.append(max(keep_last, 0))
        table = "sources" if sources_only else "runs"
        select = (f"SELECT run_id FROM runs WHERE ({' OR '.join(where)})"
                  + (" AND run_id IN (SELECT run_id FROM sources)" if sources_only else "") + " LIMIT ?")
        deleted = 0
        while True:
            with self._connect() as db:
                ids = [row[0] for row in db.execute(select, (*args, chunk))]
                if ids:
                    db.executemany(f"DELETE FROM {table} WHERE run_id = ?", [(run_id,) for run_id in ids])
            deleted += len(ids)
            if len(ids) < chunk:
                return deleted

    def vacuum(self) -> None:
        """Give the space of deleted runs back to the file system (rewrites the file; needs as much free
        disk as the store's remaining size, and waits for other writers)."""
        db = self._connection()
        db.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")

    def size_bytes(self) -> int:
        """The store's size on disk, its write-ahead log included."""
        return sum(p.stat().st_size for p in (self.path, self.path.with_name(self.path.name + "-wal"))
                   if p.exists())

    def list(self, limit: int = 20) -> list[RunTrace]:
        """Newest first, without steps."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs ORDER BY started_at DESC LIMIT ?", (limit,)).fetchall()
        return [self._run(row, []) for row in rows]

    def get(self, run_id: str) -> RunTrace | None:
        """A run by id or unique id prefix (at least 6 characters)."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchall()
            if not rows and len(run_id) >= 6:
                rows = db.execute("SELECT * FROM runs WHERE run_id LIKE ? LIMIT 2", (run_id + "%",)).fetchall()
            if len(rows) != 1:
                return None
            steps = db.execute("SELECT * FROM steps WHERE run_id = ? ORDER BY seq", (rows[0]["run_id"],)).fetchall()
            source = db.execute("SELECT text FROM sources WHERE run_id = ?", (rows[0]["run_id"],)).fetchone()
        trace = self._run(rows[0], steps)
        trace.source_text = source["text"] if source else None
        return trace

    @staticmethod
    def _run(row: sqlite3.Row, steps: list[sqlite3.Row]) -> RunTrace:
        return RunTrace(
            run_id=row["run_id"], started_at=row["started_at"], source_name=row["source_name"],
            source_sha256=row["source_sha256"], format=row["format"], route=row["route"], status=row["status"],
            duration_ms=row["duration_ms"], version=row["version"], options=json.loads(row["options"] or "{}"),
            record=json.loads(row["record"]) if row["record"] else None,
            excluded=[ExcludedItem.model_validate(e) for e in json.loads(row["excluded"] or "[]")],
            error=row["error"],
            steps=[StepRecord(node=s["node"], started_at=s["started_at"], duration_ms=s["duration_ms"],
                              summary=s["summary"], outputs=json.loads(s["outputs"] or "{}")) for s in steps],
        )
