# cliniq-agent as an HTTP service: the same environment scripts/setup.sh builds, in an image.
#
#   docker build -t cliniq-agent .                      # ~10 min on 2 cores (llama-cpp-python compiles once)
#   printf '%s\n' "$(openssl rand -hex 24)" > token && chmod 600 token && sudo chown 10001 token   # the image's user
#   docker run --rm -p 127.0.0.1:8080:8080 -v "$PWD/token:/run/secrets/cliniq_token:ro" cliniq-agent
#   docker run --rm -p 127.0.0.1:8080:8080 cliniq-agent serve --host 0.0.0.0 --no-llm    # no token, no LLM
#
# The build runs scripts/setup.sh itself (CPU torch, portable llama-cpp-python, the package with its
# extras, the bundled model assembled and the code index built under CLINIQ_AGENT_HOME), so the image and
# a developer's .venv never drift apart. Nothing is downloaded at run time. Traces (PHI: extracted records
# and, for the review page, the input) live under /var/lib/cliniq-agent/data — mount a volume there to
# keep them, or pass --no-trace. Not built in CI.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /home/cliniq --uid 10001 cliniq \
 && mkdir -p /opt/cliniq-agent /var/lib/cliniq-agent \
 && chown cliniq:cliniq /opt/cliniq-agent /var/lib/cliniq-agent
USER cliniq
WORKDIR /opt/cliniq-agent

ENV CLINIQ_AGENT_HOME=/var/lib/cliniq-agent \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/cliniq-agent/.venv/bin:$PATH

COPY --chown=cliniq:cliniq . .
RUN CLINIQ_SKIP_EXAMPLE=1 bash scripts/setup.sh \
 && cliniq-agent run examples/eicr_pertussis.xml --no-trace > /dev/null \
 && rm -rf /home/cliniq/.cache/pip

EXPOSE 8080
# /readyz turns 200 once the models and the code index are loaded (about a minute after start).
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=4).status != 200)"

ENTRYPOINT ["cliniq-agent"]
# Inside the container the server must listen on 0.0.0.0 to be reachable through -p; publish the port on
# the host's 127.0.0.1 (as above) or behind TLS, and keep the token file.
CMD ["serve", "--host", "0.0.0.0", "--port", "8080", "--token-file", "/run/secrets/cliniq_token"]
