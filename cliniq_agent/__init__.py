"""cliniq-agent: offline extraction of coded public-health data from eICRs.

    from cliniq_agent import extract
    result = extract(Path("eicr.xml"))
    result.to_compact(); result.to_fhir(); result.route; result.run_id

    with Engine(RunOptions(use_llm=False)).warm() as engine:   # many documents: resources loaded once
        for outcome in engine.extract_many(paths): ...
"""

__version__ = "0.1.0"

from cliniq_agent.api import Engine, Extraction, Outcome, RunOptions, extract  # noqa: E402

__all__ = ["Engine", "Extraction", "Outcome", "RunOptions", "extract", "__version__"]
