"""Load every resource a run may need before the first document arrives (``Engine.warm``).

Tables are loaded through the same cached loaders the nodes use, then one tiny synthetic document per
route (``kb/engine/warmup_*``) goes through the graph so every lazily compiled pattern is built too. With
the LLM on, the language models the options name are loaded into the runtime's registry.
"""

from __future__ import annotations

import gc

from cliniq_agent.llm.models import ModelSpec
from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.state import RunOptions

WARMUP_FILES = ("warmup_eicr.xml", "warmup_note.txt", "warmup_narrative.txt")


def load_resources(options: RunOptions) -> list[ModelSpec]:
    """Load tables, the code index and (LLM on) the models; return the model specs that were loaded."""
    from cliniq_agent.cda.rules import default_kb
    from cliniq_agent.text.criteria.definitions import case_definitions, finding_patterns
    from cliniq_agent.graph import build_graph
    from cliniq_agent.core.ingest import read_source
    from cliniq_agent.rag import CodeIndex
    from cliniq_agent.terminology.catalog import TerminologyKB
    from cliniq_agent.validate.codes import icd10_exists

    TerminologyKB.load()
    icd10_exists("A37.00")  # builds (or reads the cached) ICD-10-CM code list: ~20 s on a fresh cache
    default_kb()
    case_definitions()
    finding_patterns()
    CodeIndex.open(progress=False)
    graph = build_graph()
    deterministic = options.model_copy(update={"use_llm": False, "persist_trace": False, "build_fhir": True})
    for name in WARMUP_FILES:
        document = read_source(kb_path("engine", name), name=f"<warm-up {name}>")
        graph.invoke({"run_id": f"warmup-{name}", "options": deterministic, "source": document})
    models = _load_models(options) if options.use_llm else []
    # What is loaded now lives as long as the process: out of the collector's generations, it is no longer
    # walked by every full collection of a long run (~0.7 M objects, ~300 ms of CPU per full collection).
    # Collected first so that warm-up's garbage is freed rather than frozen. Batch workers, Ray actors and the
    # service all warm through here, so this is the one place that freezes.
    gc.collect()
    gc.freeze()
    return models


def _load_models(options: RunOptions) -> list[ModelSpec]:
    from cliniq_agent.llm.models import agent_spec, resolve_spec
    from cliniq_agent.llm.runtime import load_model

    specs = [resolve_spec(options.model_path, options.lora_path, options.chat_format)]
    if options.model_path is None:
        specs.append(agent_spec())
    for spec in specs:
        load_model(spec)
    return specs
