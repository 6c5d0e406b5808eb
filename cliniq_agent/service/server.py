"""Run the service under uvicorn: one process, or N worker processes each with its own warm Engine."""

from __future__ import annotations

import os
import shutil
import tempfile

from cliniq_agent.service.logs import log_config, service_logger
from cliniq_agent.service.settings import LOCAL_HOSTS, ServiceSettings

GRACEFUL_SHUTDOWN_S = 30  # in-flight documents get this long to finish on SIGTERM


def serve(settings: ServiceSettings, *, log_level: str = "info") -> None:
    """Blocks until the server stops (Ctrl-C / SIGTERM)."""
    import uvicorn

    settings.read_token()  # refuse a bad token file before any worker starts
    if settings.host not in LOCAL_HOSTS and settings.token_file is None:
        service_logger().warning("listening beyond localhost without --token-file: anyone who can reach "
                                 "the port can submit documents", extra={"host": settings.host})
    common = {"host": settings.host, "port": settings.port, "log_config": log_config(log_level),
              "access_log": False, "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S, "server_header": False}
    if settings.workers == 1:
        from cliniq_agent.service.app import create_app

        uvicorn.run(create_app(settings), **common)
        return
    metrics_dir = _multiprocess_metrics_dir()
    os.environ.update(settings.to_environment())
    try:
        uvicorn.run("cliniq_agent.service.app:app_from_environment", factory=True, workers=settings.workers,
                    **common)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _multiprocess_metrics_dir() -> str:
    """A fresh folder for prometheus-client's multiprocess mode, so /metrics sums every worker."""
    folder = tempfile.mkdtemp(prefix="cliniq-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    return folder

