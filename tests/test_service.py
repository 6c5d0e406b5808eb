"""`cliniq-agent serve` over real HTTP: one server process on a free localhost port, deterministic route.

The server runs with one processing slot and no queue (so a slow request in flight fills it), a small
body cap and a bearer token, which lets every limit be exercised against the same warm process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("prometheus_client")

from cliniq_agent.fhir import bundle_problems  # noqa: E402
from cliniq_agent.service.local import LocalServer, local_server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"
BODY_CAP = 256 * 1024
EXAMPLE_ROUTES = {"eicr_pertussis.xml": "cda", "known_format.txt": "known_format", "narrative.txt": "narrative"}
PATIENT_NAME = "Amara Nwosu"  # in examples/narrative.txt: must never reach the server log

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("service") / "token"
    path.write_text("test-token-0123456789abcdef\n")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def server(token: Path, tmp_path_factory: pytest.TempPathFactory) -> LocalServer:
    log = tmp_path_factory.mktemp("service-log") / "server.log"
    args = ["--no-llm", "--token-file", str(token), "--concurrency", "1", "--queue", "0",
            "--max-body-mb", str(BODY_CAP / 2**20), "--timeout", "120"]
    with local_server(args, log_path=log) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: LocalServer, token: Path) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token.read_text().strip()}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=120) as http:
        yield http


def _post_example(client: httpx.Client, name: str, **params: str) -> httpx.Response:
    body = (EXAMPLES / name).read_bytes()
    kind = "application/xml" if name.endswith(".xml") else "text/plain"
    return client.post("/v1/extract", content=body, params=params, headers={"Content-Type": kind})


def _assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code and body["message"] and "Traceback" not in body["message"]
    return body


# -- health, readiness, OpenAPI ---------------------------------------------------------------------------

def test_healthz_and_readyz_need_no_token(server: LocalServer) -> None:
    assert httpx.get(f"{server.base_url}/healthz").json()["status"] == "ok"
    ready = httpx.get(f"{server.base_url}/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "version": ready.json()["version"],
                                                         "llm": False, "error": None}


def test_openapi_has_the_compact_schema_as_response_model(server: LocalServer) -> None:
    spec = httpx.get(f"{server.base_url}/openapi.json").json()
    assert {"/v1/extract", "/v1/batch", "/v1/runs/{run_id}", "/v1/runs/{run_id}/review", "/healthz", "/readyz",
            "/metrics"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert schemas["CompactResponse"]["properties"]["result"]["$ref"].endswith("/CompactRecord")
    assert {"patient", "conditions", "labs", "reportable"} <= set(schemas["CompactRecord"]["properties"])
    assert "application/xml" in spec["paths"]["/v1/extract"]["post"]["requestBody"]["content"]
    assert httpx.get(f"{server.base_url}/docs").status_code == 404  # its page would load scripts from a CDN


# -- auth -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-0123456789", "Basic dXNlcjpwYXNz"])
def test_extract_refuses_missing_or_wrong_token(server: LocalServer, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.post(f"{server.base_url}/v1/extract", content=b"Dx: Pertussis", headers=headers)
    _assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert httpx.get(f"{server.base_url}/metrics", headers=headers).status_code == 401


# -- extraction -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXAMPLE_ROUTES))
def test_extract_each_route_and_its_trace(client: httpx.Client, name: str) -> None:
    response = _post_example(client, name)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["route"] == EXAMPLE_ROUTES[name] and body["format"] == "compact"
    assert response.headers["X-Run-Id"] == body["run_id"]
    assert body["result"]["conditions"], "every example has a condition"
    trace = client.get(f"/v1/runs/{body['run_id']}").json()
    assert trace["status"] == "ok" and trace["route"] == body["route"] and trace["steps"]
    assert [c["name"] for c in trace["record"]["conditions"]] == [c["name"] for c in body["result"]["conditions"]]


def test_review_page_of_a_run(client: httpx.Client) -> None:
    run_id = _post_example(client, "narrative.txt").json()["run_id"]
    page = client.get(f"/v1/runs/{run_id}/review")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store" and run_id in page.text
    _assert_error(client.get("/v1/runs/0123456789abcdef/review"), 404, "not_found")


def test_extract_fhir_and_without_evidence(client: httpx.Client) -> None:
    fhir = _post_example(client, "eicr_pertussis.xml", format="fhir").json()
    assert fhir["format"] == "fhir" and fhir["result"]["resourceType"] == "Bundle" and fhir["result"]["entry"]
    bare = _post_example(client, "known_format.txt", evidence="false").json()
    assert "evidence" not in json.dumps(bare["result"])


def test_json_envelope_names_the_run(client: httpx.Client) -> None:
    text = (EXAMPLES / "known_format.txt").read_text()
    response = client.post("/v1/extract", json={"document": text, "source_name": "msg-0042"})
    assert response.status_code == 200, response.text
    direct = _post_example(client, "known_format.txt").json()
    assert response.json()["result"] == direct["result"]  # same document, same answer, either body type
    assert client.get(f"/v1/runs/{response.json()['run_id']}").json()["source_name"] == "msg-0042"


# -- bad input and unsupported options --------------------------------------------------------------------

@pytest.mark.parametrize(("content", "kind", "expected"), [
    (b"<ClinicalDocument><unclosed>", "application/xml", "malformed XML"),
    (b"", "text/plain", "input is empty"),
    (b"\x00\x01\x02\x03binary\x00", "application/octet-stream", "looks binary"),
    (b'{"resourceType": "Bundle"}', "application/json", "expected an envelope"),
    (b'{"document": 5}', "application/json", "expected an envelope"),
    (b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', "application/xml", ""),
])
def test_bad_input_is_422_with_one_line(client: httpx.Client, content: bytes, kind: str, expected: str) -> None:
    body = _assert_error(client.post("/v1/extract", content=content, headers={"Content-Type": kind}),
                         422, "bad_input")
    assert expected in body["message"] and "\n" not in body["message"]


def test_bad_input_message_is_the_clis(client: httpx.Client, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b'<?xml version="1.0"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"><title>x</titl>')
    cli = subprocess.run([sys.executable, "-m", "cliniq_agent.cli.main", "run", str(broken), "--no-llm", "--no-trace"],
                         capture_output=True, text=True, timeout=300)
    assert cli.returncode == 2
    response = client.post("/v1/extract", content=broken.read_bytes(), params={"name": str(broken)},
                           headers={"Content-Type": "application/xml"})
    assert "error: " + _assert_error(response, 422, "bad_input")["message"] == cli.stderr.strip()


def test_fhir_document_format_answers_a_document_bundle(client: httpx.Client) -> None:
    response = client.post("/v1/extract", params={"format": "fhir-document"},
                           content=(EXAMPLES / "eicr_pertussis.xml").read_bytes(),
                           headers={"Content-Type": "application/xml"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["format"] == "fhir-document"
    bundle = body["result"]
    assert bundle["type"] == "document" and bundle["entry"][0]["resource"]["resourceType"] == "Composition"
    assert bundle_problems(bundle) == []


def test_an_rr_in_the_envelope_adds_the_rr_cross_check(client: httpx.Client) -> None:
    eicr = (EXAMPLES / "eicr_pertussis.xml").read_text(encoding="utf-8")
    rr = (Path(__file__).parent / "data" / "rr_pertussis_synthetic.xml").read_text(encoding="utf-8")
    response = client.post("/v1/extract", json={"document": eicr, "rr": rr})
    assert response.status_code == 200, response.text
    check = response.json()["result"]["rr_check"]
    assert {item["status"] for item in check["items"]} >= {"both", "rr_only"}
    without = client.post("/v1/extract", json={"document": eicr}).json()["result"]
    assert "rr_check" not in without
    lines = client.post("/v1/batch", content=json.dumps({"document": eicr, "rr": rr}) + "\n",
                        headers={"Content-Type": "application/x-ndjson"}).text.splitlines()
    assert "rr_check" in json.loads(lines[0])["result"]


def test_llm_on_a_no_llm_server_and_bad_query_values(client: httpx.Client) -> None:
    refused = client.post("/v1/extract", params={"llm": "true"}, content=b"Dx: Pertussis")
    assert "--no-llm" in _assert_error(refused, 422, "bad_input")["message"]
    _assert_error(client.post("/v1/extract", params={"format": "pdf"}, content=b"x"), 422, "bad_input")
    _assert_error(client.post("/v1/extract", params={"timeout_s": "-1"}, content=b"x"), 422, "bad_input")


def test_unknown_paths_and_runs_are_json_404(client: httpx.Client) -> None:
    _assert_error(client.get("/v1/runs/0123456789abcdef"), 404, "not_found")
    _assert_error(client.get("/v1/nothing-here"), 404, "not_found")
    _assert_error(client.get("/v1/extract"), 405, "method_not_allowed")


# -- limits -----------------------------------------------------------------------------------------------

def test_oversize_body_is_413(client: httpx.Client) -> None:
    body = b"Dx: Pertussis\n" * (BODY_CAP // 10)
    _assert_error(client.post("/v1/extract", content=body), 413, "too_large")

    def chunked():  # no Content-Length: the cap is enforced while the body streams in
        for _ in range(40):
            yield b"x" * 8192

    _assert_error(client.post("/v1/extract", content=chunked()), 413, "too_large")


def test_tiny_time_budget_is_504(client: httpx.Client) -> None:
    response = _post_example(client, "eicr_pertussis.xml", timeout_s="0.001")
    assert "time budget" in _assert_error(response, 504, "timeout")["message"]


def test_full_queue_is_503_with_retry_after(client: httpx.Client) -> None:
    slow_body = (EXAMPLES / "narrative.txt").read_bytes() * 40  # ~3 s of narrative on one core
    results: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: results.append(client.post("/v1/extract", content=slow_body)))
    slow.start()
    try:
        deadline = time.monotonic() + 30
        while _gauge(client, "cliniq_in_flight") < 1:
            assert time.monotonic() < deadline and slow.is_alive(), "the slow request never got in flight"
            time.sleep(0.02)
        refused = client.post("/v1/extract", content=b"Dx: Pertussis")
        _assert_error(refused, 503, "overloaded")
        assert int(refused.headers["Retry-After"]) >= 1
    finally:
        slow.join(timeout=120)
    assert results and results[0].status_code == 200, results[0].text if results else "no answer"


# -- batch ------------------------------------------------------------------------------------------------

def test_batch_ndjson_streams_in_order_and_keeps_going(client: httpx.Client) -> None:
    lines = [json.dumps({"document": (EXAMPLES / name).read_text(), "source_name": name})
             for name in sorted(EXAMPLE_ROUTES)]
    lines.insert(1, "not json at all")
    lines.append(json.dumps({"document": "<ClinicalDocument><broken>", "source_name": "bad.xml"}))
    with client.stream("POST", "/v1/batch", content="\n".join(lines).encode(),
                       headers={"Content-Type": "application/x-ndjson"}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
        results = [json.loads(line) for line in response.iter_lines() if line.strip()]
    assert [r["index"] for r in results] == list(range(5))
    assert [r["status"] for r in results] == ["ok", "rejected", "ok", "ok", "rejected"]
    routes = {r["source_name"]: r["route"] for r in results if r["status"] == "ok"}
    assert routes == EXAMPLE_ROUTES
    assert "malformed XML" in results[4]["error"]


def test_batch_multipart_uses_file_names(client: httpx.Client) -> None:
    files = [("documents", (name, (EXAMPLES / name).read_bytes(), "application/octet-stream"))
             for name in sorted(EXAMPLE_ROUTES)]
    response = client.post("/v1/batch", files=files, params={"format": "fhir"})
    assert response.status_code == 200, response.text
    results = [json.loads(line) for line in response.text.splitlines()]
    assert [(r["source_name"], r["status"]) for r in results] == [(n, "ok") for n in sorted(EXAMPLE_ROUTES)]
    assert all(r["result"]["resourceType"] == "Bundle" for r in results)


def test_batch_refuses_other_bodies(client: httpx.Client) -> None:
    _assert_error(client.post("/v1/batch", content=b"Dx: Pertussis", headers={"Content-Type": "text/plain"}),
                  422, "unsupported")
    _assert_error(client.post("/v1/batch", content=b"\n\n", headers={"Content-Type": "application/x-ndjson"}),
                  422, "bad_input")


def test_batch_of_shared_eicrs(client: httpx.Client) -> None:
    folder = SHARED_DATA / "external" / "phdi-dev"
    if not folder.is_dir():
        pytest.skip("../shared/data is not available")
    files = sorted(p for p in folder.glob("*/CDA_eICR.xml") if p.stat().st_size < BODY_CAP)[:3]
    payload = "\n".join(json.dumps({"document": p.read_text(encoding="utf-8"), "source_name": p.parent.name})
                        for p in files)
    response = client.post("/v1/batch", content=payload.encode(), headers={"Content-Type": "application/x-ndjson"})
    results = [json.loads(line) for line in response.text.splitlines()]
    assert [(r["source_name"], r["status"], r["route"]) for r in results] == [
        (p.parent.name, "ok", "cda") for p in files]
    assert all(r["result"]["reportable"] for r in results)


# -- metrics and logs -------------------------------------------------------------------------------------

def test_metrics_count_documents_latency_and_queue(client: httpx.Client) -> None:
    assert _post_example(client, "eicr_pertussis.xml").status_code == 200
    text = client.get("/metrics").text
    assert re.search(r'cliniq_documents_total\{route="cda",status="ok"\} [1-9]', text)
    assert re.search(r'cliniq_documents_total\{route="none",status="rejected"\} [1-9]', text)
    assert 'cliniq_document_seconds_bucket{le="0.5",route="cda"}' in text
    assert "cliniq_queue_depth 0.0" in text and "cliniq_in_flight 0.0" in text and "cliniq_ready 1.0" in text
    assert "# TYPE cliniq_model_calls_total counter" in text
    assert re.search(r'cliniq_http_requests_total\{code="200",endpoint="/v1/extract"\} [1-9]', text)


def test_log_is_json_without_document_content(client: httpx.Client, server: LocalServer) -> None:
    assert _post_example(client, "narrative.txt").status_code == 200
    time.sleep(0.2)
    lines = [line for line in server.log_path.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is JSON
    assert any(e["event"] == "document" and e.get("run_id") and e.get("bytes_in") for e in entries)
    assert PATIENT_NAME not in server.log_path.read_text()
    assert "Pertussis" not in server.log_path.read_text()


def test_world_readable_token_file_stops_startup(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("test-token-0123456789abcdef\n")
    token.chmod(0o644)
    done = subprocess.run([sys.executable, "-m", "cliniq_agent.cli.main", "serve", "--no-llm", "--port", "1",
                           "--token-file", str(token)], capture_output=True, text=True, timeout=300,
                          env={**os.environ})
    assert done.returncode == 2 and "chmod 600" in done.stderr


def _gauge(client: httpx.Client, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", client.get("/metrics").text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


@pytest.mark.llm
def test_llm_route_counts_model_calls(tmp_path: Path) -> None:
    """One small LLM case: a server with the bundled model answers known-format text on the fast path."""
    with local_server(["--concurrency", "1"], log_path=tmp_path / "server.log") as running:
        with httpx.Client(base_url=running.base_url, timeout=300) as http:
            assert http.get("/readyz").json()["llm"] is True
            response = _post_example(http, "known_format.txt")
            assert response.status_code == 200, response.text
            assert response.json()["route"] == "fast_path"
            deterministic = _post_example(http, "known_format.txt", llm="false").json()
            assert deterministic["route"] == "known_format"
            text = http.get("/metrics").text
    assert re.search(r'cliniq_model_calls_total\{kind="fast_path"\} [1-9]', text)
    assert re.search(r'cliniq_documents_total\{route="fast_path",status="ok"\} 1\.0', text)
