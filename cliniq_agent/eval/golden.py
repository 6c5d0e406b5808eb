"""Golden outputs: pin what the engine produces for every shared input before an optimisation or refactor.

For each input the pin is a SHA-256 of the canonical JSON of (status, route, compact record with evidence,
excluded mentions, FHIR bundle built with a fixed run id and instant) — or of the rejection message. Only
digests are kept in the repository (``tests/golden/``), never the data or the outputs themselves; to see *what*
changed, ``scripts/golden.py --dump DIR`` writes the full canonical outputs for a diff.

Inputs: every XML file under ``external/`` (eICRs, RRs, C-CDA fragments, which are refused) and the seed's
sample eICR through the CDA route, and the seed's text sets (val-compact, test_cases*) through the
deterministic text routes (``use_llm=False``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cliniq_agent.eval.datasets import cda_files, seed_test_sets, seed_val
from cliniq_agent.core.errors import InputError

GOLDEN_RUN_ID = "golden"
GOLDEN_INSTANT = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def golden_inputs(data: Path, *, text_limit: int | None = None) -> Iterator[tuple[str, str | bytes]]:
    """(key, source) for every pinned input: CDA files as bytes, seed notes as text."""
    for path in cda_files(data):
        yield f"cda:{path.relative_to(data).as_posix()}", path.read_bytes()
    for case in seed_val(data, limit=text_limit):
        yield f"text:{case.case_id}", case.text
    for name, cases in seed_test_sets(data).items():
        for number, case in enumerate(cases[:text_limit] if text_limit else cases):
            yield f"text:{name}:{number}", case.text


def canonical_output(source: str | bytes, *, name: str, extract_fn=None) -> dict[str, Any]:
    """What a run yields for ``source`` with the LLM off, in a form that does not depend on the run id or clock."""
    if extract_fn is None:
        from cliniq_agent.api import extract as extract_fn
    from cliniq_agent.fhir import build_bundle

    try:
        result = extract_fn(source, use_llm=False, persist_trace=False, source_name=name)
    except InputError as err:
        return {"status": "rejected", "error": str(err)}
    bundle = build_bundle(result.record, run_id=GOLDEN_RUN_ID, source_name=name, source_sha256=result.source_sha256,
                          recorded=GOLDEN_INSTANT)
    return {
        "status": "ok",
        "route": result.route,
        "compact": result.to_compact(),
        "excluded": [item.model_dump(mode="json") for item in result.excluded],
        "fhir": bundle,
    }


PARTS = ("record", "fhir")  # record: status, route, compact record, excluded mentions (or the rejection)


def digest(output: dict[str, Any]) -> dict[str, str]:
    """One digest per part, so a change meant for the FHIR layer can be re-pinned without hiding a record change."""
    record = {key: value for key, value in output.items() if key != "fhir"}
    return {"record": _sha(record), "fhir": _sha(output.get("fhir"))}


def _sha(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def changed_parts(pinned: dict[str, dict[str, str]], digests: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """{input key: [parts whose digest differs]} for every input that is new, gone or changed."""
    changed = {}
    for key in sorted(pinned.keys() | digests.keys()):
        old, new = pinned.get(key, {}), digests.get(key, {})
        parts = [part for part in PARTS if old.get(part) != new.get(part)]
        if parts:
            changed[key] = parts
    return changed


def compute(data: Path, *, text_limit: int | None = None, dump: Path | None = None,
            extract_fn=None) -> dict[str, dict[str, str]]:
    """{input key: digest} over every golden input; with ``dump``, also the outputs as files for diffing."""
    digests: dict[str, dict[str, str]] = {}
    for key, source in golden_inputs(data, text_limit=text_limit):
        output = canonical_output(source, name=key, extract_fn=extract_fn)
        digests[key] = digest(output)
        if dump is not None:
            target = dump / (key.replace(":", "__").replace("/", "__") + ".json")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(output, sort_keys=True, ensure_ascii=False, indent=1), encoding="utf-8")
    return digests
