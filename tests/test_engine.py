"""The Engine: warm once, many documents, errors as outcomes, threads, the path-vs-text rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from cliniq_agent import Engine, RunOptions, extract
from cliniq_agent.core.errors import BudgetExceeded, InputError
from cliniq_agent.trace import TraceStore

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def engine():
    with Engine(RunOptions(use_llm=False)).warm() as warm:
        yield warm


def test_a_warm_engine_extracts_every_route(engine: Engine) -> None:
    routes = {path.name: engine.extract(path).route for path in sorted(EXAMPLES.iterdir())}
    assert routes == {"eicr_pertussis.xml": "cda", "known_format.txt": "known_format", "narrative.txt": "narrative"}


def test_extract_many_yields_one_outcome_per_input_in_order_and_never_raises(engine: Engine) -> None:
    sources = [EXAMPLES / "eicr_pertussis.xml", b"\x00\x01\x02 binary", EXAMPLES / "missing.xml",
               (EXAMPLES / "known_format.txt").read_text(), b"<ClinicalDocument><unclosed>"]
    for workers in (1, 3):
        outcomes = list(engine.extract_many(sources, workers=workers))
        assert [o.index for o in outcomes] == list(range(len(sources)))
        assert [o.status for o in outcomes] == ["ok", "rejected", "rejected", "ok", "rejected"]
        assert outcomes[0].extraction.route == "cda" and outcomes[3].extraction.route == "known_format"
        assert "no such file" in outcomes[2].error and outcomes[1].extraction is None


def test_threads_give_the_same_records_as_one_thread(engine: Engine) -> None:
    sources = [path for path in sorted(EXAMPLES.iterdir())] * 3
    one = [o.extraction.to_compact() for o in engine.extract_many(sources, workers=1)]
    four = [o.extraction.to_compact() for o in engine.extract_many(sources, workers=4)]
    assert one == four


def test_every_run_is_traced_in_the_engine_store(engine: Engine) -> None:
    result = engine.extract(EXAMPLES / "narrative.txt")
    trace = TraceStore().get(result.run_id)
    assert trace is not None and trace.status == "ok" and trace.route == "narrative"
    with pytest.raises(InputError):
        engine.extract(b"   ")


def test_per_run_option_overrides_do_not_change_the_engine(engine: Engine) -> None:
    result = engine.extract(EXAMPLES / "eicr_pertussis.xml", build_fhir=True)
    assert result.fhir_bundle is not None and result.fhir_bundle["resourceType"] == "Bundle"
    assert engine.options.build_fhir is False


def test_a_one_line_string_naming_a_file_is_refused_not_read_as_a_note() -> None:
    with pytest.raises(InputError, match="pathlib.Path"):
        extract(str(EXAMPLES / "eicr_pertussis.xml"), use_llm=False)
    with pytest.raises(InputError, match="looks like a file name"):
        extract("reports/2026/eicr_0001.xml", use_llm=False)
    # ordinary one-line notes are still text
    assert extract("Pertussis confirmed by PCR; azithromycin started.", use_llm=False).route == "narrative"


def test_an_exhausted_time_budget_ends_the_run_cleanly(engine: Engine) -> None:
    with pytest.raises(BudgetExceeded, match="time budget"):
        engine.extract(EXAMPLES / "eicr_pertussis.xml", time_budget_s=1e-9)
    assert engine.extract(EXAMPLES / "eicr_pertussis.xml").route == "cda"  # the engine is still usable


def test_a_closed_engine_refuses_work() -> None:
    engine = Engine(use_llm=False)
    engine.close()
    with pytest.raises(RuntimeError, match="closed"):
        engine.extract(EXAMPLES / "narrative.txt")


@pytest.mark.llm
def test_warm_loads_the_models_and_close_releases_them() -> None:
    from cliniq_agent.llm.models import default_spec
    from cliniq_agent.llm.runtime import is_loaded

    with Engine(RunOptions(use_llm=True)).warm() as engine:
        assert is_loaded(default_spec())
        assert engine.extract(EXAMPLES / "known_format.txt").route == "fast_path"
    assert not is_loaded(default_spec())
