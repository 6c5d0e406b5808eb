"""An index folder another process still queries is never pruned (cliniq_agent/rag/store.py: ``<key>.inuse``).

Processes on two KB versions share the user cache (a service started before a KB update, batch workers of two
checkouts): the build of the newer index pruned the older one under the running process, whose next query failed
with "Collection [codes-snomed] does not exist". Real processes, real Chroma folders, real file locks."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

from cliniq_agent.rag import CodeIndex
from cliniq_agent.rag.documents import concept_documents
from cliniq_agent.rag.store import _prune, index_root
from cliniq_agent.terminology import TerminologyKB

SUBSET = [("snomed", "27836007"), ("snomed", "14189004"), ("loinc", "43913-3")]

HOLDER = textwrap.dedent("""
    import sys
    from cliniq_agent.rag import CodeIndex
    from cliniq_agent.rag.documents import concept_documents
    from cliniq_agent.terminology import TerminologyKB
    kb = TerminologyKB.load()
    docs = [d for s, c in {subset!r} for d in concept_documents(kb, kb.lookup(s, c))]
    index = CodeIndex.from_documents(docs)
    print(index.store.folder, flush=True)
    sys.stdin.readline()  # hold the index until the test says so
    print(index.search("measles", system="snomed")[0].code, flush=True)
""")


def test_index_in_use_by_another_process_survives_pruning(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINIQ_AGENT_CACHE_DIR", str(tmp_path / "cache"))
    kb = TerminologyKB.load()
    docs = [d for s, c in SUBSET for d in concept_documents(kb, kb.lookup(s, c))]
    folder = CodeIndex.from_documents(docs).store.folder
    CodeIndex.forget()
    gc.collect()  # this process no longer holds the index

    holder = subprocess.Popen([sys.executable, "-c", HOLDER.format(subset=SUBSET)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == str(folder)
        _prune(index_root(), keep=1, current="another-kb-version")
        assert (folder / "manifest.json").is_file()  # still in use by the holder
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "14189004"  # its queries still work
    finally:
        holder.stdin.close()
        assert holder.wait(timeout=120) == 0

    _prune(index_root(), keep=1, current="another-kb-version")
    assert not folder.exists()  # nobody uses it any more: pruned
