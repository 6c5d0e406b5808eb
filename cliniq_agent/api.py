"""Typed Python API: ``extract(source) -> Extraction`` and the ``Engine`` that keeps resources warm.

``extract`` is a thin wrapper over one default Engine per process; code that runs many documents, or
wants to control loading and threads, creates its own ``Engine`` (see cliniq_agent/engine.py).
"""

from __future__ import annotations

import threading
from pathlib import Path

from cliniq_agent.engine import Engine, Outcome
from cliniq_agent.core.extraction import Extraction
from cliniq_agent.core.state import RunOptions

__all__ = ["Engine", "Extraction", "Outcome", "RunOptions", "default_engine", "extract"]

_DEFAULT: list[Engine] = []
_DEFAULT_LOCK = threading.Lock()


def default_engine() -> Engine:
    """The process's shared Engine behind ``extract`` (created on first use, default options)."""
    with _DEFAULT_LOCK:
        if not _DEFAULT:
            _DEFAULT.append(Engine())
        return _DEFAULT[0]


def extract(
    source: str | bytes | Path,
    *,
    use_llm: bool = True,
    model_path: Path | None = None,
    lora_path: Path | None = None,
    chat_format: str | None = None,
    recover_xml: bool = False,
    build_fhir: bool = False,
    persist_trace: bool = True,
    source_name: str | None = None,
    prompt_style: str = "auto",
    time_budget_s: float | None = RunOptions.model_fields["time_budget_s"].default,
    rr: str | bytes | Path | None = None,
) -> Extraction:
    """Extract coded data from an eICR (CDA XML), known-format text or narrative.

    ``source``: a ``Path`` to a file, raw ``bytes``, or the document text itself as ``str`` (``"-"`` reads
    stdin). A one-line ``str`` that names a file is refused with a clear message: pass a ``Path``.
    ``use_llm=False`` runs the deterministic tiers only. ``model_path`` / ``lora_path`` / ``chat_format``
    bring your own GGUF model and adapter; ``prompt_style`` "short" (our adapter's codes-only answer) or
    "compact" (full compact JSON, e.g. the predecessor's v62 adapter); "auto" picks by model.
    ``time_budget_s`` ends a run that takes longer with ``BudgetExceeded`` (None: no budget).
    ``rr``: the eICR's Reportability Response; the result then carries ``rr_check`` (README: RR cross-check).
    Raises ``InputError`` for unusable input; every run (also a failed one) is traced unless
    ``persist_trace`` is false.
    """
    return default_engine().extract(
        source, source_name=source_name, use_llm=use_llm, model_path=model_path, lora_path=lora_path,
        chat_format=chat_format, recover_xml=recover_xml, build_fhir=build_fhir, persist_trace=persist_trace,
        prompt_style=prompt_style, time_budget_s=time_budget_s, **({"rr": rr} if rr is not None else {}),
    )
