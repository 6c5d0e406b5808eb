"""The persistent index folder: Chroma collections plus the documents and a manifest, keyed on content.

``<user cache>/index/<key>/`` where ``key`` hashes the KB tables, the user's imported tables, the document code,
the embedding model id and the options (see :func:`documents.content_key`). A folder without ``manifest.json`` is
an interrupted build and is rebuilt; a file lock keeps two processes from building the same folder at once, and
each process that uses a folder holds a shared lock on ``<key>.inuse`` for its lifetime, so pruning after another
KB's build never removes an index a running service or worker still queries.
One collection per code system ("codes-snomed", ...): a system-filtered query then needs no metadata filter
(Chroma's ``where`` made a query ~4x slower here: 9.5 ms against 2.2 ms).
"""

from __future__ import annotations

import fcntl
import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import cached_property, partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cliniq_agent.rag.config import retrieval_config
from cliniq_agent.rag.documents import IndexDocument, build_documents, content_key, documents_key
from cliniq_agent.rag.embedding import chroma_embedding_function, load_embedder, model_id
from cliniq_agent.core.budget import check_budget, wait_for
from cliniq_agent.core.errors import BudgetExceeded
from cliniq_agent.core.resources import set_offline_environment, user_cache_dir
from cliniq_agent.terminology import TerminologyKB

COLLECTION = "codes-{system}"
FORMAT = 2
# worded for check_budget's message: "processing stopped after the N s time budget during <stage>; ..."
BUILD_STAGE = ("the first build of the code index (once per KB version, minutes on a small machine: build it "
               "outside any budget with `cliniq-agent kb build` or by warming the engine)")
BUILD_COUNTER = {"builds": 0}  # documents embedded by this process (tests check that a reopen embeds nothing)


class IndexManifest(BaseModel):
    """What a built index holds; written last, so its presence marks a complete build."""

    model_config = ConfigDict(frozen=True)

    key: str
    format: int = FORMAT
    model: str
    model_id: str
    full_icd10: bool
    documents: int
    concepts: int
    systems: dict[str, int]   # documents per code system (one Chroma collection each)
    build_seconds: float
    built_at: str


def index_root() -> Path:
    root = user_cache_dir() / "index"
    root.mkdir(parents=True, exist_ok=True)
    return root


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """The build lock of one index folder; waiting for another process's build counts against the budget."""
    with path.open("w") as handle:
        wait_for(partial(_try_flock, handle), "waiting for another process to build the code index")
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _try_flock(handle: Any, timeout: float) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        time.sleep(timeout)
        return False


def _chroma_client(folder: Path) -> Any:
    set_offline_environment()
    import chromadb  # noqa: PLC0415 (slow import; only when the vector channel is used)
    from chromadb.config import Settings  # noqa: PLC0415

    return chromadb.PersistentClient(path=str(folder / "chroma"),
                                     settings=Settings(anonymized_telemetry=False, allow_reset=False))


def _hold_in_use(root: Path, key: str) -> Any:
    """A shared lock on ``<key>.inuse`` for as long as the returned handle lives (the store keeps it): _prune takes
    the exclusive lock before removing a folder, and skips one it cannot take."""
    handle = (root / f"{key}.inuse").open("a")
    fcntl.flock(handle, fcntl.LOCK_SH)
    return handle


class IndexStore:
    """A complete index folder: manifest, documents (for the lexical channel) and the Chroma collections."""

    def __init__(self, folder: Path, manifest: IndexManifest, documents: list[IndexDocument]) -> None:
        self.folder = folder
        self.manifest = manifest
        self.documents = documents
        self.positions = {document.id: position for position, document in enumerate(documents)}
        self._collections: dict[str, Any] = {}
        self.in_use: Any = None  # the shared lock of _hold_in_use, released when the store is dropped

    @cached_property
    def _client(self) -> Any:
        return _chroma_client(self.folder)

    def collection(self, system: str) -> Any:
        """The Chroma collection of one code system (opened once)."""
        if system not in self._collections:
            self._collections[system] = self._client.get_collection(
                COLLECTION.format(system=system), embedding_function=chroma_embedding_function(self.manifest.model))
        return self._collections[system]

    def size_bytes(self) -> int:
        return folder_size(self.folder)

    @classmethod
    def load(cls, folder: Path) -> IndexStore:
        manifest = IndexManifest.model_validate_json((folder / "manifest.json").read_text(encoding="utf-8"))
        with (folder / "documents.jsonl").open(encoding="utf-8") as handle:
            documents = [IndexDocument.model_validate_json(line) for line in handle if line.strip()]
        return cls(folder, manifest, documents)


def open_store(model: str | None = None, *, full_icd10: bool = False, rebuild: bool = False,
               progress: bool = True, documents: list[IndexDocument] | None = None) -> tuple[IndexStore, bool]:
    """The index for the current KB (or for ``documents``) and model, built first when missing.

    Returns (store, built_now)."""
    spec = retrieval_config().model(model)
    model_key = f"{model_id(spec)}|store-format-{FORMAT}"
    if documents is None:
        kb = TerminologyKB.load()
        key = content_key(kb, model_key, full_icd10=full_icd10)
    else:
        key = documents_key(documents, model_key)
    root = index_root()
    folder = root / key
    in_use = _hold_in_use(root, key)  # before looking at the folder: a prune that got there first has finished
    with _locked(root / f"{key}.lock"):
        if rebuild and folder.exists():
            shutil.rmtree(folder)
        if (folder / "manifest.json").is_file():
            try:
                store = IndexStore.load(folder)
                store.in_use = in_use
                return store, False
            except ValueError:  # a manifest of an older format: build again
                shutil.rmtree(folder)
        if folder.exists():  # interrupted build
            shutil.rmtree(folder)
        started = time.perf_counter()
        if documents is None:
            documents = build_documents(kb, full_icd10=full_icd10)
        store = _build(folder, key, spec.name, documents, full_icd10=full_icd10, progress=progress,
                       started=started)
        store.in_use = in_use
    _prune(root, keep=retrieval_config().keep_indexes, current=key)
    return store, True


def _build(folder: Path, key: str, model: str, documents: list[IndexDocument], *, full_icd10: bool,
           progress: bool, started: float) -> IndexStore:
    """Embed every document into one Chroma collection per code system.

    The build runs under the run's time budget (``core/budget.py``): the budget is checked before the
    Chroma client and the embedding model are loaded and before every batch, so a run that has to build
    the index first ends with ``BudgetExceeded`` soon after its budget (at most one batch, or the model
    load, which cannot be interrupted, later) and leaves no half-built folder."""
    config = retrieval_config()
    client = None
    try:
        check_budget(BUILD_STAGE)
        folder.mkdir(parents=True)
        embedding_function = chroma_embedding_function(model)
        client = _chroma_client(folder)
        systems = sorted({document.system for document in documents})
        collections = {system: client.create_collection(COLLECTION.format(system=system),
                                                        embedding_function=embedding_function,
                                                        configuration={"hnsw": {"space": "cosine"}},
                                                        metadata={"key": key, "model": model, "system": system})
                       for system in systems}
        check_budget(BUILD_STAGE)
        embedder = load_embedder(model)
        chunk = min(config.batch_size, client.get_max_batch_size())
        columns = (TextColumn("[bold]embedding KB names"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True), disable=not progress, transient=False) as bar:
            task = bar.add_task("embed", total=len(documents))
            for start in range(0, len(documents), chunk):
                check_budget(BUILD_STAGE)
                _embed_batch(embedder, collections, systems, documents[start:start + chunk])
                bar.advance(task, min(chunk, len(documents) - start))
    except BudgetExceeded:
        if client is not None:
            client.close()      # releases Chroma's per-path system: a later build of this folder starts clean
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _finish_build(folder, key, model, documents, collections, client, full_icd10=full_icd10,
                         started=started)


def _embed_batch(embedder: Any, collections: dict[str, Any], systems: list[str], batch: list[IndexDocument]) -> None:
    vectors = embedder.embed_documents([document.text for document in batch])
    for system in systems:
        rows = [(d, v) for d, v in zip(batch, vectors) if d.system == system]
        if rows:
            collections[system].add(
                ids=[d.id for d, _ in rows], embeddings=[v.tolist() for _, v in rows],
                documents=[d.text for d, _ in rows], metadatas=[d.metadata() for d, _ in rows])
    BUILD_COUNTER["builds"] += len(batch)


def _finish_build(folder: Path, key: str, model: str, documents: list[IndexDocument], collections: dict[str, Any],
                  client: Any, *, full_icd10: bool, started: float) -> IndexStore:
    """Documents, then the manifest last (its presence marks a complete build)."""
    config = retrieval_config()
    systems = sorted(collections)
    with (folder / "documents.jsonl").open("w", encoding="utf-8") as handle:
        for document in documents:
            handle.write(document.model_dump_json() + "\n")
    manifest = IndexManifest(
        key=key, model=model, model_id=model_id(config.model(model)), full_icd10=full_icd10,
        documents=len(documents), concepts=len({(d.system, d.code) for d in documents}),
        systems={system: sum(d.system == system for d in documents) for system in systems},
        build_seconds=round(time.perf_counter() - started, 2), built_at=datetime.now(timezone.utc).isoformat())
    pending = folder / "manifest.json.partial"
    pending.write_text(manifest.model_dump_json(indent=1), encoding="utf-8")
    pending.replace(folder / "manifest.json")
    store = IndexStore(folder, manifest, documents)
    store.__dict__["_client"] = client  # reuse the open client and collections
    store._collections.update(collections)  # noqa: SLF001
    return store


def _prune(root: Path, *, keep: int, current: str) -> None:
    """Remove the oldest complete index folders beyond ``keep`` (the cache is rebuildable), except those another
    process still uses (its shared lock on ``<key>.inuse``): removing one broke its queries ("Collection
    [codes-snomed] does not exist") when processes on two KB versions shared the cache."""
    built = sorted((p for p in root.iterdir() if (p / "manifest.json").is_file() and p.name != current),
                   key=lambda p: (p / "manifest.json").stat().st_mtime, reverse=True)
    for stale in built[max(keep - 1, 0):]:
        with (root / f"{stale.name}.inuse").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # in use: pruned by a later build, once no process holds it
            shutil.rmtree(stale, ignore_errors=True)
            (root / f"{stale.name}.lock").unlink(missing_ok=True)


def manifest_summary(store: IndexStore) -> dict[str, Any]:
    """Manifest plus size on disk (for `kb build` and the bench)."""
    return {**json.loads(store.manifest.model_dump_json()), "size_bytes": store.size_bytes(),
            "folder": str(store.folder)}
