"""An eICR that uses the standard xsi:/sdtc: prefixes without declaring them is read as if it did; any other
undeclared prefix, or a damaged file, is still one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from cliniq_agent.core.errors import InputError
from cliniq_agent.engine import Engine

EXAMPLE = (Path(__file__).resolve().parents[1] / "examples" / "eicr_pertussis.xml").read_bytes()


def _without(raw: bytes, *declarations: bytes) -> bytes:
    for declaration in declarations:
        assert declaration in raw
        raw = raw.replace(declaration, b"")
    return raw


@pytest.fixture(scope="module")
def engine() -> Engine:
    with Engine(use_llm=False, persist_trace=False) as engine:
        yield engine


@pytest.mark.parametrize("dropped", [
    (b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',),
    (b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"', b' xmlns:sdtc="urn:hl7-org:sdtc"'),
])
def test_undeclared_standard_prefixes_give_the_same_record(engine: Engine, dropped: tuple[bytes, ...]) -> None:
    expected = engine.extract(EXAMPLE).to_compact()
    result = engine.extract(_without(EXAMPLE, *dropped)).to_compact()
    assert result == expected
    assert result["labs"] and all(lab.get("loinc") for lab in result["labs"])   # values typed by xsi:type read


def test_an_unknown_undeclared_prefix_is_still_refused(engine: Engine) -> None:
    raw = EXAMPLE.replace(b"<component>", b"<vendor:component>", 1).replace(b"</component>", b"</vendor:component>", 1)
    with pytest.raises(InputError, match="Namespace prefix vendor") as refused:
        engine.extract(raw)
    assert "recover option" in str(refused.value) and "\n" not in str(refused.value)


def test_a_truncated_file_names_the_recover_option_and_recover_reads_it(engine: Engine) -> None:
    truncated = _without(EXAMPLE, b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')[: len(EXAMPLE) * 2 // 3]
    with pytest.raises(InputError, match="malformed XML .*recover option"):
        engine.extract(truncated)
    salvaged = engine.extract(truncated, recover_xml=True).to_compact()
    assert salvaged["patient"]["name"] == "Rosa M Delgado"
