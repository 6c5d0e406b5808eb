"""llama-cpp-python runtime: one loaded model per (model, adapter) per process, tuned for 2-core CPUs.

Concurrency: a llama.cpp context is not thread-safe, so each loaded model has its own lock and calls to
the *same* model are serialised; calls to different models (e.g. the fast-path adapter and the agent
adapter) run concurrently. Loading is done once, under a registry lock. ``release`` drops a model (the
Engine calls it on close when no other open engine uses it).

Speed levers: an explicit thread count (llama.cpp defaults to 1 here), a short answer format, and
automatic KV-cache reuse of the fixed instruction prefix between calls (llama-cpp-python keeps the
longest common token prefix of consecutive prompts).

Prompt-lookup speculative decoding was measured and is *off*: with llama-cpp-python's draft-model
path every prompt position needs logits, and Gemma's 262k-token output layer makes that cost more
than the accepted drafts save (seed val, Gemma 3 270M + our LoRA, 2 cores: median 1.40 s without,
1.99 s with 2 draft tokens, 2.40 s with 4).
"""

from __future__ import annotations

import atexit
import threading
import time
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from cliniq_agent.core.errors import ModelError
from cliniq_agent.llm.models import ModelSpec
from cliniq_agent.core.resources import model_threads

DEFAULT_CONTEXT = 2048


class _Loaded:
    """A loaded llama.cpp model and the lock that serialises calls to it."""

    __slots__ = ("llama", "lock")

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.lock = threading.Lock()


_REGISTRY: dict[ModelSpec, _Loaded] = {}
_REGISTRY_LOCK = threading.Lock()


class Generation(BaseModel):
    """One model call as the trace records it."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    duration_ms: float
    grammar: bool = False


@lru_cache(maxsize=1)
def _silence_llama_cpp() -> None:
    """llama.cpp logs to stderr even with verbose=False (e.g. KV-cache notes); the CLI promises one
    clean error line, so its log callback is replaced by a no-op."""
    import ctypes

    import llama_cpp

    @llama_cpp.llama_log_callback
    def _ignore(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:  # noqa: ARG001
        return None

    _silence_llama_cpp.callback = _ignore  # keep a reference: ctypes must not free it
    llama_cpp.llama_log_set(_ignore, ctypes.c_void_p())


def load_model(spec: ModelSpec) -> Any:
    """The loaded GGUF model with its LoRA adapter (loaded once per process, under the registry lock)."""
    return _loaded(spec).llama


def _loaded(spec: ModelSpec) -> _Loaded:
    with _REGISTRY_LOCK:
        entry = _REGISTRY.get(spec)
        if entry is None:
            entry = _REGISTRY[spec] = _Loaded(_load(spec))
        return entry


def is_loaded(spec: ModelSpec) -> bool:
    return spec in _REGISTRY


def release(spec: ModelSpec) -> bool:
    """Drop a loaded model so its memory can be freed; the next call loads it again."""
    with _REGISTRY_LOCK:
        entry = _REGISTRY.pop(spec, None)
    if entry is None:
        return False
    with entry.lock:  # let an in-flight call finish first
        close = getattr(entry.llama, "close", None)
        if close is not None:
            close()
    return True


@atexit.register
def _release_all() -> None:
    """Close every loaded model before interpreter teardown (llama-cpp-python's own __del__ then runs with
    half-torn-down modules and prints an ignored TypeError)."""
    for spec in list(_REGISTRY):
        release(spec)


def _load(spec: ModelSpec) -> Any:
    from llama_cpp import Llama

    _silence_llama_cpp()
    kwargs: dict[str, Any] = dict(
        model_path=str(spec.model_path), n_ctx=DEFAULT_CONTEXT, n_batch=512, n_threads=model_threads(),
        n_threads_batch=model_threads(), verbose=False, chat_format=spec.chat_format,
    )
    if spec.lora_path is not None:
        kwargs["lora_path"] = str(spec.lora_path)
    try:
        return Llama(**kwargs)
    except (ValueError, RuntimeError) as err:
        raise ModelError(f"cannot load model {spec.model_path}"
                         + (f" with adapter {spec.lora_path}" if spec.lora_path else "") + f": {err}") from err


def complete(spec: ModelSpec, prompt: str, *, max_tokens: int, stop: list[str], grammar: Any = None) -> Generation:
    """Greedy completion of a raw prompt (special tokens in ``prompt`` are parsed)."""
    entry = _loaded(spec)
    with entry.lock:
        clock = time.perf_counter()
        out = entry.llama.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, top_k=1, stop=stop,
                                      grammar=grammar, seed=0)
        elapsed = (time.perf_counter() - clock) * 1000
    choice = out["choices"][0]
    usage = out.get("usage", {})
    return Generation(text=choice["text"], prompt_tokens=usage.get("prompt_tokens", 0),
                      completion_tokens=usage.get("completion_tokens", 0), finish_reason=choice.get("finish_reason"),
                      duration_ms=round(elapsed, 1), grammar=grammar is not None)


def chat(spec: ModelSpec, messages: list[dict[str, str]], *, max_tokens: int, grammar: Any = None) -> Generation:
    """Greedy chat completion using the model's chat format (``spec.chat_format`` or the GGUF template)."""
    entry = _loaded(spec)
    if spec.chat_format is None and "tokenizer.chat_template" not in (entry.llama.metadata or {}):
        raise ModelError(f"{spec.model_path} has no chat template in its metadata: pass --chat-format "
                         "(e.g. gemma, chatml, llama-3) instead of letting llama.cpp guess")
    with entry.lock:
        clock = time.perf_counter()
        out = entry.llama.create_chat_completion(messages, max_tokens=max_tokens, temperature=0.0, top_k=1,
                                           grammar=grammar, seed=0)
        elapsed = (time.perf_counter() - clock) * 1000
    choice = out["choices"][0]
    usage = out.get("usage", {})
    return Generation(text=choice["message"].get("content") or "", prompt_tokens=usage.get("prompt_tokens", 0),
                      completion_tokens=usage.get("completion_tokens", 0), finish_reason=choice.get("finish_reason"),
                      duration_ms=round(elapsed, 1), grammar=grammar is not None)


@lru_cache(maxsize=4)
def grammar_from_file(name: str) -> Any:
    """A GBNF grammar from prompts/ (constrained decoding is ~80 ms/token slower: used for retries)."""
    from llama_cpp import LlamaGrammar

    from cliniq_agent.core.resources import read_prompt

    return LlamaGrammar.from_string(read_prompt(name), verbose=False)
