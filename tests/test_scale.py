"""Ray scale-out on a real local Ray cluster (2 CPUs, no dashboard): same results as in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cliniq_agent import Engine, RunOptions

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install cliniq-agent[ray])")


def _dozen(shared_data: Path) -> list[Path]:
    files = sorted((shared_data / "external" / "phdi-dev").glob("*/CDA_eICR.xml"))[:10]
    return files + sorted((shared_data / "external" / "hl7").glob("CDAR2_IG_PHCASERPT_*SAMPLE.xml"))[:2]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_actors_give_the_in_process_results(shared_data: Path, local_ray: None) -> None:
    from cliniq_agent.scale import extract_dataset, read_documents

    files = _dozen(shared_data)
    assert len(files) == 12
    options = RunOptions(use_llm=False, persist_trace=False)
    rows = extract_dataset(read_documents([str(f) for f in files]), options=options, actors=2,
                           want_fhir=True).take_all()
    by_path = {Path(row["path"]).resolve(): row for row in rows}
    assert len(by_path) == 12
    with Engine(options) as engine:
        for path in files:
            row = by_path[path.resolve()]
            expected = engine.extract(path)
            assert row["status"] == "ok" and row["route"] == expected.route
            assert json.loads(row["compact"]) == expected.to_compact()
            bundle = json.loads(row["fhir"])
            assert [e["resource"]["resourceType"] for e in bundle["entry"]] == \
                   [e["resource"]["resourceType"] for e in expected.to_fhir()["entry"]]


@pytest.mark.slow
def test_batch_on_ray_writes_what_the_local_pool_writes(shared_data: Path, tmp_path: Path) -> None:
    folders = [f.parent for f in _dozen(shared_data)[:6]]  # eICR + RR folders: cases with the RR cross-check
    outputs = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine
        done = subprocess.run([sys.executable, "-m", "cliniq_agent.cli.main", "batch", *map(str, folders), "--out", str(out),
                               "--no-llm", "--workers", "2", "--engine", engine, "--no-trace"],
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr
        rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
        outputs[engine] = {row["case_id"]: (row["status"], row["route"], row["counts"], row["rr_check"],
                                            (out / row["outputs"][0]).read_text()) for row in rows}
    assert outputs["ray"] == outputs["local"]
    assert all(rr_check for *_, rr_check, _ in outputs["ray"].values())
