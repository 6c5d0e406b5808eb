"""Keep the good parts measured (issue 15, part 5): no network, same input -> same output, 4 threads = 1 thread."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cliniq_agent.eval.fuzz_seeds import build_corpus
from cliniq_agent.engine import Engine
from cliniq_agent.core.state import RunOptions

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: Fails the run on any outbound connection (the fallback when network namespaces are not available).
_SOCKET_GUARD = """
import socket, sys
def _refuse(*args, **kwargs):
    raise SystemExit("network use attempted: " + repr(args[:2]))
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
from cliniq_agent.cli.main import main
sys.argv = ["cliniq-agent", *sys.argv[1:]]
main()
"""


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def _offline_cli(*args: str) -> subprocess.CompletedProcess[str]:
    if _unshare_works():
        command = ["unshare", "-n", sys.executable, "-m", "cliniq_agent.cli.main", *args]
    else:
        command = [sys.executable, "-c", _SOCKET_GUARD, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("name,extra", [("eicr_pertussis.xml", ["-f", "fhir"]), ("narrative.txt", []),
                                        ("known_format.txt", [])])
def test_cli_works_without_network(name: str, extra: list[str]) -> None:
    run = _offline_cli("run", str(EXAMPLES / name), "--no-llm", "--no-trace", *extra)
    assert run.returncode == 0, run.stderr
    payload = json.loads(run.stdout)
    assert payload.get("resourceType") == "Bundle" if extra else payload["conditions"]


def _compact(result) -> str:
    return json.dumps(result.to_compact(), sort_keys=True, ensure_ascii=False)


def _inputs() -> list[bytes | str]:
    corpus = build_corpus(seed=5, synthetic=3)
    return [*corpus.cda, *corpus.texts]


def test_same_input_same_output_in_two_runs() -> None:
    docs = _inputs()
    with Engine(RunOptions(use_llm=False, persist_trace=False)) as first:
        before = [_compact(first.extract(doc)) for doc in docs]
    with Engine(RunOptions(use_llm=False, persist_trace=False)) as second:
        after = [_compact(second.extract(doc)) for doc in docs]
        fhir = [second.extract(docs[0], build_fhir=True) for _ in range(2)]
    assert before == after
    ids = [sorted(entry["resource"]["id"] for entry in f.to_fhir()["entry"]) for f in fhir]
    assert len(ids[0]) == len(set(ids[0]))  # ids are derived per run (uuid5 of the run id), never colliding


def test_four_threads_give_the_same_outputs_as_one() -> None:
    docs = _inputs() * 2
    with Engine(RunOptions(use_llm=False, persist_trace=False)) as engine:
        single = [_compact(o.extraction) for o in engine.extract_many(docs, workers=1)]
        threaded = list(engine.extract_many(docs, workers=4))
    assert [o.index for o in threaded] == list(range(len(docs)))
    assert all(o.status == "ok" for o in threaded), [o.error for o in threaded if o.status != "ok"]
    assert [_compact(o.extraction) for o in threaded] == single
