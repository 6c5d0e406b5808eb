"""Bounded fuzz suite (issue 15): seeded inputs of every hostile class; each must end as a result or an InputError.

The mutators and seeds are cliniq_agent/eval/fuzz_mutators.py and fuzz_seeds.py (examples/ plus synthetic
eICRs and notes; nothing from ../shared). hypothesis drives them derandomized, so a run is reproducible and a
failure shrinks to a small random state. The long campaign (>= 10,000 inputs) is ``cliniq-agent bench -s fuzz``.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cliniq_agent.eval.fuzz import canary_file, classify, mutators
from cliniq_agent.eval.fuzz_seeds import build_corpus
from cliniq_agent.engine import Engine
from cliniq_agent.core.state import RunOptions

BUDGET_S = 30.0
#: Inputs per class: cheap classes (mostly refused in the XML or decoding layer) get more.
EXAMPLES = {
    "byte_flips": 150, "truncation": 150, "element_ops": 40, "attributes": 50, "deep_nesting": 150,
    "encodings": 150, "xml_attacks": 150, "unicode_noise": 80, "long_inputs": 10, "wrong_format": 150,
    "injection": 50,
}
CORPUS = build_corpus(seed=15, synthetic=6)


@pytest.fixture(scope="module")
def engine():
    with Engine(RunOptions(use_llm=False, persist_trace=False)) as eng:
        yield eng


@pytest.fixture(scope="module")
def classes():
    with canary_file() as canary:
        yield mutators(canary, max_long_bytes=12_000)


def _check(engine, source, index: int) -> None:
    verdict, signature = classify(engine, source, fhir=index % 4 == 0, budget_s=BUDGET_S, recover=index % 2 == 1)
    assert verdict in ("ok", "rejected"), f"{verdict}: {signature} for input {source[:200]!r}"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_class_never_crashes(engine, classes, name: str) -> None:
    counter = iter(range(10**6))

    @settings(max_examples=EXAMPLES[name], derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(seed=st.integers(min_value=0, max_value=2**32 - 1))
    def run(seed: int) -> None:
        _check(engine, classes[name](random.Random(f"{name}:{seed}"), CORPUS), next(counter))

    run()


@settings(max_examples=150, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.one_of(st.binary(max_size=3000), st.text(max_size=3000),
                      st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=400).map(lambda t: "<" + t)))
def test_arbitrary_bytes_and_text(engine, data) -> None:
    _check(engine, data, 1)
