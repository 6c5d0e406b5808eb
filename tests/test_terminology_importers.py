"""Importers for licensed terminology releases, on small fixtures in the official formats, and `kb import`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cliniq_agent.cli.kb import app
from cliniq_agent.core.errors import InputError
from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.terminology.importers import import_table, parse_table
from cliniq_agent.terminology.userdb import UserTerminologyDB

FIXTURES = Path(__file__).parent / "fixtures" / "terminology"
LOINC = FIXTURES / "Loinc.csv"
RXNORM = FIXTURES / "RXNCONSO.RRF"
SNOMED = FIXTURES / "sct2_Description_Full-en_INT_20250101.txt"
ICD10 = FIXTURES / "icd10cm_order_2026.txt"


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLINIQ_AGENT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture()
def db(tmp_path: Path) -> UserTerminologyDB:
    return UserTerminologyDB(tmp_path / "terminology.sqlite")


def test_loinc_importer(db: UserTerminologyDB) -> None:
    report = import_table("loinc", LOINC, db)
    assert (report.concepts, report.skipped) == (6, 1)  # the row with a failing check digit is skipped
    concept, names = db.lookup("loinc", "94500-6")
    assert concept.display.startswith("SARS-CoV-2 (COVID-19) RNA [Presence]")
    assert concept.component == "SARS coronavirus 2 RNA" and concept.status == "ACTIVE"
    assert "SARS-CoV-2 RNA Resp Ql NAA+probe" in names
    assert db.lookup("loinc", "99999-1") is None


def test_rxnorm_importer_prefers_ingredient_and_clinical_drug_names(db: UserTerminologyDB) -> None:
    report = import_table("rxnorm", RXNORM, db)
    assert report.concepts == 6 and report.skipped == 2  # other-source row and suppressed row
    concept, names = db.lookup("rxnorm", "197582")
    assert (concept.display, concept.status) == ("dexamethasone 4 MG Oral Tablet", "SCD")
    assert db.lookup("rxnorm", "3264")[0].status == "IN"
    assert not any("suppressed" in name for name in db.lookup("rxnorm", "313782")[1])


def test_snomed_importer_keeps_active_newest_descriptions(db: UserTerminologyDB) -> None:
    report = import_table("snomed", SNOMED, db)
    assert report.concepts == 3
    concept, names = db.lookup("snomed", "840539006")
    assert concept.display == "Disease caused by severe acute respiratory syndrome coronavirus 2 (disorder)"
    assert "COVID-19" in names and not any("retired" in n for n in names)
    assert "Morbilli" in db.lookup("snomed", "14189004")[1]  # Full release: the newer, active state wins
    assert db.match("whooping cough", "snomed") == [("snomed", "27836007")]


def test_icd10cm_order_importer(db: UserTerminologyDB) -> None:
    report = import_table("icd10", ICD10, db)
    assert report.concepts == 10
    concept, _ = db.lookup("icd10", "A37.90")
    assert concept.display == "Whooping cough, unspecified species without pneumonia"
    assert (concept.parent, concept.status) == ("A37.9", "billable")
    assert db.lookup("icd10", "A37")[0].status == "header"
    assert db.lookup("icd10", "T40.1X1A")[0].parent == "T40.1X1"


def test_imported_tables_reach_the_kb(home: Path) -> None:
    for system, path in (("loinc", LOINC), ("snomed", SNOMED), ("icd10", ICD10), ("rxnorm", RXNORM)):
        import_table(system, path)
    kb = TerminologyKB.load()
    glucose = kb.lookup("loinc", "2345-7")
    assert glucose is not None and glucose.display == "Glucose [Mass/volume] in Serum or Plasma"
    assert any(p.startswith("user:") for p in glucose.provenance)
    assert "94558-4" in [c.code for c in kb.match_exact("SARS-CoV-2 Ag Resp Ql IA.rapid", "loinc")]
    assert "14189004" in [c.code for c in kb.match_exact("morbilli")]
    assert {"user_loinc", "user_snomed", "user_icd10", "user_rxnorm"} <= set(kb.stats())
    assert any(c.code == "2284960" for c in kb.concepts("rxnorm"))


@pytest.mark.parametrize(("system", "content", "message"), [
    ("loinc", '"CODE","NAME"\n"1-8","x"\n', "missing columns"),
    ("rxnorm", "1|ENG|only three\n", "RXNCONSO.RRF"),
    ("snomed", "conceptId\tterm\n123\tfoo\n", "RF2 description"),
    ("icd10", "A00 Cholera\n", "order file"),
])
def test_malformed_files_raise_one_clear_error(tmp_path: Path, system: str, content: str, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        parse_table(system, path)


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        parse_table("loinc", tmp_path / "absent.csv")
    binary = tmp_path / "Loinc.csv"
    binary.write_bytes(b'"LOINC_NUM"\n\xff\xfe\x00')
    with pytest.raises(InputError):
        parse_table("loinc", binary)


def test_cli_kb_import_subset(home: Path) -> None:
    result = CliRunner().invoke(app, ["import", "--loinc", str(LOINC), "--icd10cm", str(ICD10)])
    assert result.exit_code == 0, result.output
    assert "loinc: 6 concepts" in result.output and "icd10: 10 concepts" in result.output
    assert {row["system"] for row in UserTerminologyDB().imports()} == {"loinc", "icd10"}


def test_cli_kb_import_all(home: Path) -> None:
    result = CliRunner().invoke(app, ["import", "--loinc", str(LOINC), "--rxnorm", str(RXNORM),
                                      "--snomed", str(SNOMED), "--icd10cm", str(ICD10)])
    assert result.exit_code == 0, result.output
    assert len(result.output.strip().splitlines()) == 4


def test_cli_kb_import_malformed_exits_2_and_writes_nothing(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "RXNCONSO.RRF"
    shutil.copy(LOINC, bad)  # a LOINC table given as RxNorm
    result = CliRunner().invoke(app, ["import", "--loinc", str(LOINC), "--rxnorm", str(bad)])
    assert result.exit_code == 2
    assert "error:" in result.output and "RXNCONSO.RRF" in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("error:")]) == 1
    assert UserTerminologyDB().imports() == []  # nothing half-imported


def test_cli_kb_import_needs_a_file(home: Path) -> None:
    result = CliRunner().invoke(app, ["import"])
    assert result.exit_code == 2 and "at least one" in result.output


def test_cli_kb_lookup_match_and_stats(home: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["lookup", "icd10", "U07.1"])
    assert result.exit_code == 0 and '"condition": "840539006"' in result.output
    assert runner.invoke(app, ["lookup", "loinc", "00000-0"]).exit_code == 2
    result = runner.invoke(app, ["match", "valley fever"])
    assert result.exit_code == 0 and "60826002" in result.output
    result = runner.invoke(app, ["stats", "--json"])
    assert result.exit_code == 0 and '"conditions": 210' in result.output
