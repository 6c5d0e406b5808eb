"""The FastAPI application factory: lifespan (one warm Engine per worker), errors as JSON, request log.

FastAPI + uvicorn: the ASGI stack with pydantic-generated OpenAPI (our schema is pydantic already),
multi-process workers, and a small dependency footprint; uvicorn's worker supervisor restarts a
crashed worker. Everything that can go wrong answers a JSON ``{"error", "message"}`` body — never a
stack trace — with the same one-line messages as the CLI.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cliniq_agent import __version__
from cliniq_agent.core.resources import share_cores
from cliniq_agent.service.errors import Unauthorized, error_for, install_error_handlers
from cliniq_agent.service.limits import BodySizeLimit
from cliniq_agent.service.runtime import ServiceRuntime
from cliniq_agent.service.settings import ServiceSettings

_bearer = HTTPBearer(auto_error=False, description="The token in the server's --token-file.")


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """A new app; its lifespan warms one Engine for this process and releases it on shutdown."""
    settings = settings or ServiceSettings()
    settings.read_token()  # a bad token file stops start-up here, with the CLI's message

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.workers > 1:
            share_cores(settings.workers)  # each worker process's share for the model's threads
        runtime = ServiceRuntime(settings)
        app.state.runtime = runtime
        if settings.workers > 1:  # accept connections only once warm (see runtime.py)
            await asyncio.to_thread(runtime.warm)
        else:
            runtime.start_warming()
        try:
            yield
        finally:
            runtime.close()
            _mark_process_dead()

    # /openapi.json only: FastAPI's /docs and /redoc pages load their scripts from a CDN (we stay offline)
    app = FastAPI(title="cliniq-agent", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  summary="Coded, validated, traceable public-health data from eICRs — offline.",
                  description="POST a document (CDA XML, known-format text or narrative) to /v1/extract; "
                              "see the README's 'Run as a service'.")
    from cliniq_agent.service import batch, routes

    app.include_router(routes.router, dependencies=[Depends(require_token)])
    app.include_router(batch.router)
    app.include_router(routes.system_router)
    install_error_handlers(app)
    app.add_middleware(RequestLog)
    app.add_middleware(BodySizeLimit, limit_for_path=lambda path: (
        settings.max_batch_bytes if path.startswith("/v1/batch") else settings.max_body_bytes))
    return app


def app_from_environment() -> FastAPI:
    """uvicorn's factory for worker processes (settings from ``CLINIQ_SERVICE_SETTINGS``)."""
    return create_app(ServiceSettings.from_environment())


def runtime_of(request: Request) -> ServiceRuntime:
    return request.app.state.runtime


async def require_token(request: Request,
                        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """Bearer-token auth when the server has a token file; a constant-time comparison."""
    expected = runtime_of(request).token
    if expected is None:
        return
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("missing or wrong bearer token (Authorization: Bearer <token from --token-file>)",
                           headers={"WWW-Authenticate": "Bearer"})


class RequestLog:
    """ASGI middleware: one log line and one counter per request (route template, status, sizes, time,
    run id; never content or query strings), and a JSON 500 for anything that escaped the handlers."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        clock = time.perf_counter()
        seen: dict[str, Any] = {"status": 500, "run_id": None, "started": False}

        async def observed_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                seen["status"], seen["started"] = message["status"], True
                seen["run_id"] = dict(message.get("headers", [])).get(b"x-run-id", b"").decode() or None
            await send(message)

        runtime: ServiceRuntime | None = getattr(scope["app"].state, "runtime", None) if "app" in scope else None
        try:
            await self.app(scope, receive, observed_send)
        except Exception as err:  # an internal error: the client gets a JSON 500, the log gets the type
            if runtime is not None:
                runtime.log.error("internal error", extra={"error_type": type(err).__name__})
            if not seen["started"]:
                await error_for(err)(scope, receive, observed_send)
        finally:
            self._record(scope, runtime, seen, clock)

    @staticmethod
    def _record(scope: dict, runtime: ServiceRuntime | None, seen: dict[str, Any], clock: float) -> None:
        if runtime is None:
            return
        endpoint = getattr(scope.get("route"), "path", "unmatched")
        runtime.metrics.requests.labels(endpoint=endpoint, code=str(seen["status"])).inc()
        if endpoint in ("/healthz", "/readyz", "/metrics"):
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        runtime.log.info("request", extra={
            "method": scope["method"], "endpoint": endpoint, "status": seen["status"],
            "bytes_in": int(length) if length.isdigit() else None,
            "duration_ms": round((time.perf_counter() - clock) * 1000, 1), "run_id": seen["run_id"]})


def _mark_process_dead() -> None:
    from cliniq_agent.service.metrics import multiprocess_dir

    if multiprocess_dir():
        import os

        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())
