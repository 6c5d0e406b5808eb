"""Issue 15's crash signatures: each hostile input now ends as a clean rejection or a result, never a crash."""

from __future__ import annotations

import codecs
import subprocess
import sys
from pathlib import Path

import pytest

from cliniq_agent.engine import Engine
from cliniq_agent.core.errors import InputError
from cliniq_agent.fhir import build_bundle
from cliniq_agent.core.schema import CompactRecord, Condition, Immunization, Lab, Social, Travel
from cliniq_agent.core.state import RunOptions

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "eicr_pertussis.xml"
REFUSED_DTD = "DOCTYPE or entity declarations is refused"


@pytest.fixture(scope="module")
def engine():
    with Engine(RunOptions(use_llm=False, persist_trace=False)) as eng:
        yield eng


def _body() -> str:
    return EXAMPLE.read_text(encoding="utf-8").split("?>", 1)[1]


def _with_entity(prologue: str = "") -> str:
    body = _body().replace("<title>", "<title>&e;", 1).replace('displayName="', 'displayName="&e;', 2)
    return f'<?xml version="1.0"?>{prologue}\n<!DOCTYPE ClinicalDocument [<!ENTITY e "x">]>\n{body}'


@pytest.mark.parametrize("data", [
    _with_entity().encode(),
    _with_entity("<!--" + " " * 70_000 + "-->").encode(),                            # DOCTYPE after 64 KiB
    _with_entity().replace('version="1.0"', 'version="1.0" encoding="UTF-16"', 1).encode("utf-16"),
    ('<?xml version="1.0"?><!DOCTYPE ClinicalDocument SYSTEM "file:///etc/passwd">' + _body()).encode(),
], ids=["internal", "after-64k-prologue", "utf-16", "external"])
def test_dtd_is_refused_by_the_parse_whatever_the_encoding(engine, data) -> None:
    for recover in (False, True):
        with pytest.raises(InputError, match=REFUSED_DTD):
            engine.extract(data, recover_xml=recover)


@pytest.mark.parametrize("hidden", ["<!-- <!DOCTYPE x [<!ENTITY e 'x'>]> -->", "<![CDATA[<!DOCTYPE x>]]>"])
def test_doctype_text_in_a_comment_or_cdata_does_not_refuse(engine, hidden) -> None:
    body = _body().replace("<title>", f"<title>{hidden}", 1) if "CDATA" in hidden else hidden + _body()
    result = engine.extract(('<?xml version="1.0"?>' + body).encode())
    assert result.route == "cda" and result.record.conditions


def test_undeclared_entities_and_bad_char_refs_in_recover_mode(engine) -> None:
    data = EXAMPLE.read_bytes().replace(b"</paragraph>", b"&undefined;&#xD800;&#0;&#x110000;</paragraph>", 1)
    data = data.replace(b'displayName="Pertussis', b'displayName="&nope;Pertussis', 1)
    with pytest.raises(InputError):
        engine.extract(data)
    result = engine.extract(data, recover_xml=True, build_fhir=True)
    assert result.route == "cda"


@pytest.mark.parametrize("data,message", [
    (b"[" * 5000 + b"]" * 5000, "JSON input"),
    (b'<?xml version="1.0" encoding="undefined"?><ClinicalDocument xmlns="urn:hl7-org:v3"/>', "unknown character encoding"),
    (b'<?xml version="1.0" encoding="base64"?><ClinicalDocument xmlns="urn:hl7-org:v3"/>', "unknown character encoding"),
    ("Dx: pertussis \ud800 cough", "lone surrogate"),
    (EXAMPLE.read_bytes().replace(b'encoding="UTF-8"', b'encoding="UTF-16"', 1), "declares encoding 'utf-16'"),
    (EXAMPLE.read_bytes().replace(b'encoding="UTF-8"', b'encoding="cp500"', 1), "declares encoding 'cp500'"),
], ids=["deep-json", "undefined-codec", "bytes-codec", "lone-surrogate", "utf8-declared-utf16", "utf8-declared-ebcdic"])
def test_rejected_with_a_clear_message(engine, data, message) -> None:
    with pytest.raises(InputError, match=message):
        engine.extract(data)


@pytest.mark.parametrize("encoding,bom", [
    ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE), ("utf-16-le", b""), ("utf-16-be", b""),
])
def test_utf16_and_utf32_with_and_without_bom(engine, encoding, bom) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace('encoding="UTF-8"', f'encoding="{encoding[:6].upper()}"', 1)
    result = engine.extract(bom + text.encode(encoding))
    assert result.route == "cda" and result.record.conditions
    note = bom + "Patient: Ana Ruiz\nDx: Measles (SNOMED 14189004)\n".encode(encoding)
    if bom:  # a note without a BOM in UTF-16/32 cannot be told from binary; with one it is read
        assert [c.snomed for c in engine.extract(note).record.conditions] == ["14189004"]


def test_text_starting_with_less_than_is_a_note(engine) -> None:
    result = engine.extract("<3 yo child with paroxysmal cough, inspiratory whoop and post-tussive emesis. Dx: pertussis")
    assert result.route in ("narrative", "known_format")
    assert result.record.conditions


def test_unrepresentable_values_become_issues_not_exceptions() -> None:
    record = CompactRecord(
        conditions=[Condition(name="pertussis", onset="٢٠٢٤-٠١-٠٥")],
        labs=[Lab(name="WBC", value="9" * 5000, unit="10*3/uL"), Lab(name="x", result="7" * 30, date="٢٠٢٤")],
        immunizations=[Immunization(name="DTaP", date="٢٠٢٤-٠١-٠٥")],
        social=Social(travel=[Travel(place="Lima", start="sometime last year", end="٢٠٢٤")]),
    )
    bundle = build_bundle(record, run_id="r1", source_name="s", source_sha256="0" * 64)
    observations = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert not any("valueQuantity" in o or "valueString" in o for o in observations if "WBC" in str(o["code"]))
    assert record.labs[0].issues[0].field == "value" and "5000 digits" in record.labs[0].issues[0].problem
    assert record.labs[1].issues  # 30 digits: also more than a FHIR decimal carries
    condition = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition")
    assert condition["onsetString"] == "٢٠٢٤-٠١-٠٥"


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    source = tmp_path / "deep.xml"
    source.write_bytes(b"<ClinicalDocument>" + b"<a>" * 300 + b"</a>" * 300 + b"</ClinicalDocument>")
    for case in (source,):
        run = subprocess.run([sys.executable, "-m", "cliniq_agent.cli.main", "run", str(case), "--no-llm", "--no-trace"],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 2
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
