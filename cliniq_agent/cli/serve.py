"""`cliniq-agent serve`: the HTTP service (registered on the main CLI app by ``register``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; localhost by default (use a reverse proxy or "
                                           "--token-file before binding 0.0.0.0).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    workers: Annotated[int, typer.Option(help="Worker processes, each with one warm Engine (memory grows "
                                              "per worker).")] = 1,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Deterministic tiers only; no language model "
                                                          "is loaded and llm=true is refused.")] = False,
    token_file: Annotated[Optional[Path], typer.Option(help="Require 'Authorization: Bearer <token>' with the "
                                                            "token in this file (chmod 600).")] = None,
    max_body_mb: Annotated[float, typer.Option(help="Largest document body in MiB (413 above).")] = 16.0,
    max_batch_mb: Annotated[float, typer.Option(help="Largest /v1/batch body in MiB (413 above).")] = 64.0,
    timeout: Annotated[float, typer.Option(help="Seconds per document, queue wait included (504 after); "
                                               "lower it per request with ?timeout_s=.")] = 300.0,
    concurrency: Annotated[int, typer.Option(help="Documents processed at once per worker.")] = 2,
    queue: Annotated[int, typer.Option(help="Requests that may wait per worker; more get 503 + "
                                            "Retry-After.")] = 16,
    no_trace: Annotated[bool, typer.Option("--no-trace", help="Do not persist an audit trace per run.")] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve extraction over HTTP (POST /v1/extract, /v1/batch; /healthz, /readyz, /metrics)."""
    from pydantic import ValidationError

    from cliniq_agent.core.errors import UsageError
    from cliniq_agent.service import ServiceSettings
    from cliniq_agent.service.server import serve as run_server

    if log_level not in ("debug", "info", "warning", "error"):
        raise UsageError(f"--log-level {log_level!r}: choose debug, info, warning or error")
    try:
        settings = ServiceSettings(
            host=host, port=port, workers=workers, use_llm=not no_llm, token_file=token_file,
            max_body_bytes=int(max_body_mb * 2**20), max_batch_bytes=int(max_batch_mb * 2**20),
            request_timeout_s=timeout, max_concurrency=concurrency, queue_size=queue, persist_trace=not no_trace)
    except ValidationError as err:
        first = err.errors()[0]
        option = _OPTION_OF.get(str(first["loc"][0]), str(first["loc"][0]))
        raise UsageError(f"--{option}: {first['msg']}") from None
    run_server(settings, log_level=log_level)


_OPTION_OF = {"max_concurrency": "concurrency", "queue_size": "queue", "request_timeout_s": "timeout",
              "max_body_bytes": "max-body-mb", "max_batch_bytes": "max-batch-mb", "token_file": "token-file"}


def register(app: typer.Typer) -> None:
    app.command()(serve)
