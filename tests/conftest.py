"""Shared fixtures: an isolated CLINIQ_AGENT_HOME per test session, paths to examples and ../shared data."""

from __future__ import annotations

import os
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
