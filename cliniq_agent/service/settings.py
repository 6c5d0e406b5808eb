"""Service settings: one validated object, handed to every uvicorn worker process through the environment.

With ``--workers N`` uvicorn starts fresh processes that import the app by name, so the settings travel as
JSON in ``CLINIQ_SERVICE_SETTINGS`` (see ``to_environment`` / ``from_environment``) instead of as an object.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from cliniq_agent.core.errors import UsageError
from cliniq_agent.core.state import RunOptions

SETTINGS_ENV = "CLINIQ_SERVICE_SETTINGS"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
# the CLI's per-document budget (300 s): the LLM route can need minutes on 2 CPU cores
DEFAULT_TIMEOUT_S: float = RunOptions.model_fields["time_budget_s"].default


class ServiceSettings(BaseModel):
    """Everything `cliniq-agent serve` can be told; the defaults are safe for one machine."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"  # localhost only unless asked otherwise
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)  # processes, each with one warm Engine
    use_llm: bool = True
    max_body_bytes: int = Field(default=16 * 2**20, ge=1)  # one document (POST /v1/extract) → 413 above
    max_batch_bytes: int = Field(default=64 * 2**20, ge=1)  # one batch request → 413 above
    max_batch_documents: int = Field(default=1000, ge=1)
    request_timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0)  # per document, queue wait included → 504
    max_concurrency: int = Field(default=2, ge=1)  # documents processed at once per worker
    queue_size: int = Field(default=16, ge=0)  # requests waiting per worker before 503
    retry_after_s: int = Field(default=5, ge=1)  # the Retry-After a 503 carries
    token_file: Path | None = None  # bearer-token auth when set
    persist_trace: bool = True  # store an audit trace per run (GET /v1/runs/{run_id})

    def to_environment(self) -> dict[str, str]:
        return {SETTINGS_ENV: self.model_dump_json()}

    @classmethod
    def from_environment(cls) -> ServiceSettings:
        raw = os.environ.get(SETTINGS_ENV)
        return cls.model_validate_json(raw) if raw else cls()

    def read_token(self) -> str | None:
        """The bearer token from ``token_file`` (first line, trimmed); refuses an empty or world-readable file."""
        if self.token_file is None:
            return None
        try:
            mode = self.token_file.stat().st_mode
            token = self.token_file.read_text(encoding="utf-8").strip().splitlines()
        except OSError as err:
            raise UsageError(f"--token-file {self.token_file}: cannot read ({err.strerror})") from err
        if not token or not token[0].strip():
            raise UsageError(f"--token-file {self.token_file}: the file is empty")
        if mode & (stat.S_IRWXO | stat.S_IRWXG):
            raise UsageError(f"--token-file {self.token_file}: readable by others; chmod 600 it")
        if len(token[0].strip()) < 16:
            raise UsageError(f"--token-file {self.token_file}: the token is shorter than 16 characters")
        return token[0].strip()
