"""Locate the project's data folders (kb/, prompts/) and the user's data/cache dirs.

kb/ and prompts/ live at the top of the source tree; a wheel install carries them as
``cliniq_agent/_data/{kb,prompts}`` (see pyproject.toml).  Nothing here touches ../shared.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import platformdirs

APP_NAME = "cliniq-agent"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # cliniq_agent/


@lru_cache(maxsize=None)
def _data_root(name: str) -> Path:
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cliniq-agent data folder '{name}' is missing from the installation")


def kb_path(*parts: str) -> Path:
    """A file or folder under kb/."""
    return _data_root("kb").joinpath(*parts)


def prompt_path(name: str) -> Path:
    """A prompt file under prompts/."""
    return _data_root("prompts") / name


def read_prompt(name: str) -> str:
    return prompt_path(name).read_text(encoding="utf-8")


#: The environment variables the user folders depend on (ours, then what platformdirs reads).
_ENV_KEYS = ("CLINIQ_AGENT_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "HOME")


def _dir(specific_env: str, sub: str, kind: str, *, create: bool = True) -> Path:
    path = _resolve(kind, sub, os.environ.get(specific_env), *map(os.environ.get, _ENV_KEYS))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


@lru_cache(maxsize=16)
def _resolve(kind: str, sub: str, explicit: str | None, home: str | None, *_platform_env: str | None) -> Path:
    """The folder for these environment values, worked out once: the trace store and the terminology KB ask for
    the data folder on every document, and platformdirs plus the Path arithmetic cost about 0.1 ms a call."""
    if explicit:
        return Path(explicit)
    if home:
        return Path(home) / sub
    return Path(platformdirs.user_data_dir(APP_NAME) if kind == "data" else platformdirs.user_cache_dir(APP_NAME))


def user_data_dir(*, create: bool = True) -> Path:
    """Traces and imported terminology (CLINIQ_AGENT_DATA_DIR, or CLINIQ_AGENT_HOME/data); ``create=False``
    for a reader that only looks (no mkdir on every document)."""
    return _dir("CLINIQ_AGENT_DATA_DIR", "data", "data", create=create)


def user_cache_dir() -> Path:
    """Rebuildable artefacts: the code index, the assembled base model
    (CLINIQ_AGENT_CACHE_DIR, or CLINIQ_AGENT_HOME/cache)."""
    return _dir("CLINIQ_AGENT_CACHE_DIR", "cache", "cache")


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, e.g. a container's share), at least 1."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


THREADS_ENV = "CLINIQ_AGENT_THREADS"


def model_threads() -> int:
    """Threads for the language model's forward pass: CLINIQ_AGENT_THREADS, else every core of this process."""
    configured = os.environ.get(THREADS_ENV)
    return max(1, int(configured)) if configured else available_cores()


def share_cores(processes: int, cores: float | None = None) -> None:
    """Give this process its share of the cores for the model's threads when ``processes`` engines run side by
    side (batch workers, Ray actors, service workers). llama.cpp's threads wait on each other at every layer,
    so N processes each running one thread per core slow every forward pass whenever another holds a core
    (the embedding model is kept to one thread for the same reason). An explicit CLINIQ_AGENT_THREADS wins."""
    share = cores if cores is not None else available_cores() / max(1, processes)
    os.environ.setdefault(THREADS_ENV, str(max(1, int(share))))


def set_offline_environment() -> None:
    """No hub downloads, no telemetry: PHI never leaves the machine."""
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "CHROMA_TELEMETRY_IMPL": "none",
        "LANGCHAIN_TRACING_V2": "false",
        "LANGSMITH_TRACING": "false",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(key, value)
