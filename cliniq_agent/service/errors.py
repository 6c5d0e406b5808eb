"""Errors as HTTP answers: every failure is a JSON ``{"error", "message"}`` body, never a stack trace.

Engine errors keep the CLI's one-line messages: bad input (the CLI's exit 2) is 422, an overrun time
budget is 504; the service adds its own (auth, size, overload, warm-up, not found).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cliniq_agent.core.errors import BudgetExceeded, CliniqError, one_line


class ServiceError(Exception):
    """An error the service answers with a fixed HTTP status and a JSON body (each kind: its status and code)."""

    status = 500
    code = "internal"

    def __init_subclass__(cls, *, status: int, code: str, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.status, cls.code = status, code

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.headers = headers or {}


class Overloaded(ServiceError, status=503, code="overloaded"): ...
class NotReady(ServiceError, status=503, code="not_ready"): ...
class RequestTimeout(ServiceError, status=504, code="timeout"): ...
class PayloadTooLarge(ServiceError, status=413, code="too_large"): ...
class Unauthorized(ServiceError, status=401, code="unauthorized"): ...
class NotFound(ServiceError, status=404, code="not_found"): ...
class Unsupported(ServiceError, status=422, code="unsupported"): ...


def error_response(code: str, message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def message_of(err: BaseException) -> str:
    """The message on one line, as the CLI prints it."""
    return one_line(str(err))


def error_for(err: BaseException) -> JSONResponse:
    """The JSON answer for any exception (the handlers and the request-log middleware use it)."""
    if isinstance(err, ServiceError):
        return error_response(err.code, message_of(err), err.status, err.headers)
    if isinstance(err, BudgetExceeded):
        return error_response("timeout", message_of(err), 504)
    if isinstance(err, CliniqError):  # InputError, UsageError, ModelError: the CLI's exit-2 messages
        return error_response("bad_input", message_of(err), 422)
    return error_response("internal", f"internal error: {type(err).__name__}: {message_of(err)[:300]}", 500)


def install_error_handlers(app: FastAPI) -> None:
    async def known(request: Request, err: Exception) -> JSONResponse:
        return error_for(err)

    async def validation(request: Request, err: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()[:5])
        return error_response("bad_input", f"invalid request: {problems}", 422)

    async def http(request: Request, err: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "http_error")
        return error_response(code, str(err.detail), err.status_code, getattr(err, "headers", None))

    app.add_exception_handler(ServiceError, known)
    app.add_exception_handler(CliniqError, known)
    app.add_exception_handler(RequestValidationError, validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, known)
