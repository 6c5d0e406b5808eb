"""Every kind of bad input: exit 2, one 'error:' line on stderr, nothing written to --out, fast."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from cliniq_agent import extract
from cliniq_agent.core.errors import InputError

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol4;</title></ClinicalDocument>"""

CASES = {
    "malformed.xml": b'<ClinicalDocument xmlns="urn:hl7-org:v3"><component><section></component>',
    "xxe.xml": XXE,
    "billion_laughs.xml": BILLION_LAUGHS,
    "external_dtd.xml": b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><ClinicalDocument xmlns="urn:hl7-org:v3"/>',
    "binary.bin": bytes(range(256)) * 40,
    "empty.txt": b"",
    "blank.txt": b"   \n\t\n",
    "latin1.txt": "Patient: José Núñez\nDx: Sarampión\n".encode("latin-1"),
    "bad_declared_encoding.xml": '<?xml version="1.0" encoding="UTF-8"?><ClinicalDocument xmlns="urn:hl7-org:v3"><title>Ñandú</title></ClinicalDocument>'.encode("latin-1"),
    "not_cda.xml": b'<?xml version="1.0"?><html><body>hello</body></html>',
    "fhir.json": b'{"resourceType": "Bundle", "type": "collection", "entry": []}',
}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cliniq_agent.cli.main", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_rejects_bad_input(tmp_path: Path, name: str) -> None:
    source = tmp_path / name
    source.write_bytes(CASES[name])
    out = tmp_path / "out.json"
    started = time.perf_counter()
    result = _cli("run", str(source), "--no-llm", "--out", str(out))
    elapsed = time.perf_counter() - started
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert elapsed < 20  # includes interpreter start-up; the rejection itself is milliseconds


def test_directory_is_rejected(tmp_path: Path) -> None:
    result = _cli("run", str(tmp_path), "--no-llm")
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path}: is a directory, expected an eICR file"


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    result = _cli("run", str(tmp_path / "nope.xml"), "--no-llm")
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_xxe_never_reads_the_file() -> None:
    with pytest.raises(InputError, match="DOCTYPE"):
        extract(XXE, use_llm=False)


def test_api_raises_input_error_for_binary() -> None:
    with pytest.raises(InputError, match="binary"):
        extract(bytes(range(256)) * 10, use_llm=False)


def test_utf16_with_bom_is_accepted() -> None:
    text = "Patient: Ana Lima\nGender: F\nDx: Dengue (SNOMED 38362002)\n"
    result = extract(text.encode("utf-16"), use_llm=False, persist_trace=False)
    assert result.record.patient.name == "Ana Lima"
    assert [c.snomed for c in result.record.conditions] == ["38362002"]


def test_recover_salvages_truncated_cda() -> None:
    truncated = (b'<ClinicalDocument xmlns="urn:hl7-org:v3"><component><structuredBody><component><section>'
                 b'<templateId root="2.16.840.1.113883.10.20.22.2.5.1"/><code code="11450-4" codeSystem="2.16.840.1.113883.6.1"/>'
                 b'<entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.3"/>'
                 b'<entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN">'
                 b'<templateId root="2.16.840.1.113883.10.20.22.4.4"/><code code="282291009" codeSystem="2.16.840.1.113883.6.96"/>'
                 b'<value xsi:type="CD" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" code="840539006" '
                 b'codeSystem="2.16.840.1.113883.6.96" displayName="COVID-19"/></observation></entryRelationship></act></entry>'
                 b'<entry><observation><code code="')
    with pytest.raises(InputError, match="malformed XML"):
        extract(truncated, use_llm=False, persist_trace=False)
    result = extract(truncated, use_llm=False, persist_trace=False, recover_xml=True)
    assert "840539006" in {c.snomed for c in result.record.conditions}
