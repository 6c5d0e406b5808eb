"""The CDA rule files (kb/cda) are internally consistent and their codes are well-formed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cliniq_agent.cda import load_kb
from cliniq_agent.cda.rules import CdaKb
from cliniq_agent.core.code_systems import by_oid
from cliniq_agent.core.errors import CliniqError
from cliniq_agent.core.resources import kb_path
from cliniq_agent.validate import check_code


@pytest.fixture(scope="module")
def kb() -> CdaKb:
    return load_kb()


def test_every_rule_names_its_conformance_and_known_sections(kb: CdaKb):
    kinds = {rule.kind for rule in kb.sections}
    assert len(kinds) == len(kb.sections), "section kinds must be unique"
    for rule in kb.entries:
        assert rule.conformance.strip()
        assert set(rule.sections) <= kinds | {"*", "?"}, rule.id
    for rule in kb.sections:
        assert rule.conformance.strip() and (rule.template_ids or rule.codes)


def test_codes_in_the_rule_files_pass_their_check_digits(kb: CdaKb):
    loincs = set(kb.vitals) | kb.artefact_loinc | kb.section_codes
    assert all(check_code("loinc", code) is None for code in loincs), sorted(
        c for c in loincs if check_code("loinc", c))
    snomeds = kb.artefact_snomed | set(kb.pregnancy_value) | set(kb.pregnancy_unknown) | set(kb.problem_status_snomed)
    assert all(check_code("snomed", code) is None for code in snomeds), sorted(
        c for c in snomeds if check_code("snomed", c))


def test_trigger_templates_cover_the_eicr_trigger_code_templates(kb: CdaKb):
    roots = {t.root for t in kb.trigger_templates}
    for suffix in ("3.2", "3.3", "3.4", "3.35", "3.36", "3.38", "3.41", "3.42", "3.43", "3.44", "3.45", "3.46"):
        assert f"2.16.840.1.113883.10.20.15.2.{suffix}" in roots
    assert kb.is_rctc("2.16.840.1.114222.4.11.7508") and not kb.is_rctc("2.16.840.1.113883.3.464.1003.1")


def test_code_system_table_maps_the_brief_oids(kb: CdaKb):
    expected = {
        "2.16.840.1.113883.6.96": ("snomed", "http://snomed.info/sct"),
        "2.16.840.1.113883.6.1": ("loinc", "http://loinc.org"),
        "2.16.840.1.113883.6.88": ("rxnorm", "http://www.nlm.nih.gov/research/umls/rxnorm"),
        "2.16.840.1.113883.6.90": ("icd10", "http://hl7.org/fhir/sid/icd-10-cm"),
        "2.16.840.1.113883.12.292": ("cvx", "http://hl7.org/fhir/sid/cvx"),
        "2.16.840.1.113883.6.8": ("ucum", "http://unitsofmeasure.org"),
    }
    for oid, (short, uri) in expected.items():
        assert (by_oid()[oid].key, by_oid()[oid].uri) == (short, uri)
        assert kb.system_short(oid) == short
    assert kb.system_short(None, "SNOMED CT") == "snomed"
    assert kb.system_short("1.2.3.999") == "urn:oid:1.2.3.999"


def test_a_broken_rule_file_fails_loudly(tmp_path: Path):
    for source in kb_path("cda").glob("*.toml"):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    entries = tomllib.loads((tmp_path / "entries.toml").read_text())
    assert entries["rule"]
    broken = (tmp_path / "entries.toml").read_text().replace(
        'xpath = "//cda:observation[cda:templateId/@root=\'2.16.840.1.113883.10.20.22.4.4\']"',
        'xpath = "//cda:observation[["', 1)
    (tmp_path / "entries.toml").write_text(broken)
    with pytest.raises(CliniqError, match="does not compile"):
        load_kb(tmp_path)
