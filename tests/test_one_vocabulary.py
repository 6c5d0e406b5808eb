"""One fold, one TSV reader, one date parser, code fields on the schema (issue 12 item 4), through the real readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from cliniq_agent.cda.elements import iso_datetime as cda_iso_datetime
from cliniq_agent.core.dates import DateParts, date_parts, iso_date, iso_datetime, normalize_date
from cliniq_agent.core.schema import ITEM_CODE_FIELDS, CompactRecord, Condition, Lab
from cliniq_agent.core.textnorm import fold, fold_char, fold_full
from cliniq_agent.core.tsv import TableError, numbered_rows, read_tsv
from cliniq_agent.core.code_systems import checked_systems
from cliniq_agent.eval.scoring import code_set
from cliniq_agent.fhir.values import parse_date
from cliniq_agent.text.context import RuleError
from cliniq_agent.text.context.rules import _rows
from cliniq_agent.text.context.textfold import fold_with_offsets


@pytest.mark.parametrize("text", ["sœur", "Straße", "KHÔNG", "Antécédents – “quoted”", "đau ﬁèvre", "a\u0301b"])
def test_the_two_fold_views_come_from_one_table(text: str):
    assert len(fold(text)) == len(text)
    assert fold(text) == "".join(fold_char(ch)[:1] or ch for ch in text)
    assert fold_full(text) == fold_with_offsets(text).folded == "".join(fold_char(ch) for ch in text)
    assert fold_full("sœur") == "soeur" and fold("sœur") == "sour"


def test_one_tsv_reader_for_every_kb_table(tmp_path: Path):
    table = tmp_path / "t.tsv"
    table.write_text("# a comment\n\nkey\tvalue\tnote\n a \t b \n# more\nc\td\te\n", encoding="utf-8")
    assert numbered_rows(table) == [(4, {"key": "a", "value": "b", "note": ""}), (6, {"key": "c", "value": "d", "note": "e"})]
    table.write_text("key\tvalue\na\tb\tstray\n", encoding="utf-8")
    with pytest.raises(TableError, match=r"t\.tsv:2: 3 columns, header has 2"):
        read_tsv(table)
    with pytest.raises(RuleError, match=r"t\.tsv:2: 3 columns"):  # ConText rules read through the same reader
        _rows(table)


def test_one_date_parser_for_cda_text_and_fhir():
    assert cda_iso_datetime is iso_datetime
    assert iso_datetime("20221004170437-0700") == "2022-10-04T17:04:37-07:00"
    assert iso_date("202213") is None and iso_date("2022") == "2022"
    assert normalize_date("20221004170437-0700", keep_time=True) == "2022-10-04T17:04:37-07:00"
    assert normalize_date("le 5 janvier 2024") == "2024-01-05"
    assert parse_date("5 janvier 2024").value == "2024-01-05"  # FHIR reads the same month names
    # FHIR reads whole values through core.dates.date_parts, at the precision written (an HL7 TS as the CDA does)
    assert date_parts("20221004170437.5-0700") == DateParts("2022", "10", "04", "17", "04", "37", ".5", "-0700")
    assert parse_date("20221004170437-0700").value == "2022-10-04T17:04:37-07:00" == iso_datetime("20221004170437-0700")
    assert date_parts("2024-03") == DateParts("2024", "03") and date_parts("13/05/2024") == DateParts("2024", "05", "13")
    assert date_parts("2024030510") is None and date_parts("seen 2024-03-05") is None   # an hour needs its minutes


def test_code_fields_are_declared_on_the_schema():
    assert Condition.CODE_FIELDS == ("snomed", "icd10") and Lab.CODE_FIELDS == ("loinc",)
    assert CompactRecord.code_fields("immunizations") == ("cvx",)
    assert set(ITEM_CODE_FIELDS) == set(checked_systems())
    record = {"conditions": [{"snomed": "27836007", "icd10": "A37.90"}], "labs": [{"loinc": "94500-6"}],
              "immunizations": [{"cvx": "107"}]}
    assert code_set(record)[0] == {("snomed", "27836007"), ("icd10", "A37.90"), ("loinc", "94500-6")}


def test_a_second_mentions_differing_codes_become_translations_by_the_declared_fields():
    first = Condition(name="pertussis", snomed="27836007", icd10="A37.90")
    first.absorb_codes(Condition(name="pertussis", snomed="27836007", icd10="A37.00"))
    assert [(c.system, c.code) for c in first.translations] == [("icd10", "A37.00")]
    lab = Lab(name="culture", loinc="548-8", result_code="10828004")
    lab.absorb_codes(Lab(name="culture", loinc="548-8", result_code="260373001"))
    assert [(c.system, c.code) for c in lab.result_translations] == [("snomed", "260373001")] and not lab.translations
