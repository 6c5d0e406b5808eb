"""Engines side by side share the cores for the model's threads (core.resources.share_cores): batch workers,
Ray actors and service workers each get their share, and an explicit CLINIQ_AGENT_THREADS always wins."""

from __future__ import annotations

import pytest

from cliniq_agent.core.resources import THREADS_ENV, available_cores, model_threads, share_cores


@pytest.fixture
def no_thread_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting during the test; whatever share_cores writes is undone afterwards (setenv records the old state)."""
    monkeypatch.setenv(THREADS_ENV, "1")
    monkeypatch.delenv(THREADS_ENV)


def test_one_process_uses_every_core(no_thread_setting: None) -> None:
    assert model_threads() == available_cores()


@pytest.mark.parametrize("processes", [1, 2, 3, 64])
def test_processes_split_the_cores(no_thread_setting: None, processes: int) -> None:
    share_cores(processes)
    assert model_threads() == max(1, available_cores() // processes)


@pytest.mark.parametrize(("cores", "threads"), [(0.5, 1), (1.0, 1), (2.0, 2), (4.0, 4)])
def test_a_ray_actor_gets_its_cpus(no_thread_setting: None, cores: float, threads: int) -> None:
    share_cores(1, cores=cores)
    assert model_threads() == threads


def test_an_explicit_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV, "3")
    share_cores(8)
    assert model_threads() == 3
