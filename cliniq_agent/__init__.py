"""cliniq-agent: offline extraction of coded public-health data from eICRs.

    from cliniq_agent import extract
    result = extract(Path("eicr.xml"))
    result.to_compact(); result.to_fhir(); result.route; result.run_id
"""

__version__ = "0.1.0"

from cliniq_agent.api import Extraction, extract  # noqa: E402

__all__ = ["Extraction", "extract", "__version__"]
