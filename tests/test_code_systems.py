"""The one code-system table (kb/terminology/code_systems.tsv) as each reader sees it."""

from __future__ import annotations

from typing import get_args

from cliniq_agent.cda import load_kb
from cliniq_agent.core.code_systems import by_document_name, by_oid, checked_systems, code_systems, resolve
from cliniq_agent.fhir import tables
from cliniq_agent.terminology import normalize_system
from cliniq_agent.terminology.models import SystemName
from cliniq_agent.validate import check_code


def test_checked_systems_are_the_terminology_system_names():
    assert set(checked_systems()) == set(get_args(SystemName))
    assert check_code("loinc", "94500-6") is None


def test_every_spelling_resolves_to_one_key():
    for spelling in ("SNOMED CT", "2.16.840.1.113883.6.96", "urn:oid:2.16.840.1.113883.6.96", "http://snomed.info/sct"):
        assert resolve(spelling) == "snomed"
        assert normalize_system(spelling) == "snomed"
    assert resolve("ICD-10") == "icd10"  # people mean ICD-10-CM
    assert by_document_name()["icd-10"].key == "icd10who"  # a CDA codeSystemName "ICD-10" is WHO ICD-10
    assert resolve("ucum") == "ucum" and normalize_system("ucum") is None  # not a coded-item system
    assert resolve("no such system") is None


def test_cda_keys_and_fhir_uris_come_from_the_same_row():
    kb = load_kb()
    for oid, system in by_oid().items():
        assert kb.system_short(oid) == system.key
        assert tables.system_uri(system.key) == system.uri
    assert kb.system_short(None, "RxNorm") == "rxnorm"


def test_fhir_tables_name_only_known_systems():
    keys = set(code_systems())
    assert {code.system for code in tables.fixed_codes().values()} <= keys
