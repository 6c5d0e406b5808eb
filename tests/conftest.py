"""Shared fixtures: an isolated CLINIQ_AGENT_HOME per test session, paths to examples and ../shared data."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Traces and imports from tests go to a temp dir; the model/index cache stays shared (built once)."""
    os.environ["CLINIQ_AGENT_DATA_DIR"] = str(tmp_path_factory.mktemp("cliniq-data"))


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not available")
    return SHARED_DATA


def reportable(text: str) -> set[str]:
    """The reportable condition codes the deterministic engine finds in ``text`` (the narrative sentence tests)."""
    from cliniq_agent.api import extract

    return {r.snomed for r in extract(text, use_llm=False, persist_trace=False).record.reportable}


def trap_cases(traps: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str, str]]:
    """(kind, language, text) for each sentence of a {kind: [(language, text)]} table of trap sentences."""
    return [(kind, language, text) for kind, rows in traps.items() for language, text in rows]


def trap_ids(cases: list[tuple[str, str, str]]) -> list[str]:
    return [f"{kind}-{language}-{i}" for i, (kind, language, _) in enumerate(cases)]


def positive_ids(positives: list[tuple[str, str]]) -> list[str]:
    return [f"pos-{language}-{i}" for i, (language, _) in enumerate(positives)]


def assert_reports_nothing(label: str, text: str) -> None:
    """A trap sentence: no reportable condition (the message names what was reported)."""
    from cliniq_agent.api import extract

    record = extract(text, use_llm=False, persist_trace=False).record
    assert not record.reportable, f"{label}: {text!r} -> {[r.name for r in record.reportable]}"


def assert_still_reports(language: str, text: str) -> None:
    """A current case beside the traps: the rules that silence the traps must not silence it."""
    from cliniq_agent.api import extract

    record = extract(text, use_llm=False, persist_trace=False).record
    assert record.reportable, f"{language}: {text!r} lost its reportable condition"


def sentence_tests(traps: dict[str, list[tuple[str, str]]], positives: list[tuple[str, str]]) -> tuple[Callable[..., None], Callable[..., None]]:
    """The two tests of a trap-sentence module, bound there under the module's own names: every trap sentence
    reports nothing, every current case beside them still reports."""
    cases = trap_cases(traps)

    @pytest.mark.parametrize(("kind", "language", "text"), cases, ids=trap_ids(cases))
    def trap_reports_nothing(kind: str, language: str, text: str) -> None:
        assert_reports_nothing(f"{kind}/{language}", text)

    @pytest.mark.parametrize(("language", "text"), positives, ids=positive_ids(positives))
    def case_still_reports(language: str, text: str) -> None:
        assert_still_reports(language, text)

    return trap_reports_nothing, case_still_reports
