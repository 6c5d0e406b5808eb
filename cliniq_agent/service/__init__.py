"""`cliniq-agent serve`: the engine as an HTTP service for integration engines (FastAPI + uvicorn).

``create_app(ServiceSettings(...))`` builds the ASGI app (one warm Engine per worker process, started in
its lifespan); ``serve(settings)`` runs it under uvicorn with N worker processes.
"""

from cliniq_agent.service.app import create_app
from cliniq_agent.service.server import serve
from cliniq_agent.service.settings import ServiceSettings

__all__ = ["ServiceSettings", "create_app", "serve"]
