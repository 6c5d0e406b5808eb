"""Importers for licensed full terminology releases a user has obtained (LOINC, RxNorm, SNOMED CT, ICD-10-CM).

Each parser reads the exact official distribution format, keeps the columns the KB needs and writes them to the
user's SQLite table (see userdb.py). A file that does not have the expected shape raises one InputError.

  LOINC        Loinc.csv (LoincTable/) - quoted CSV with a header row (LOINC_NUM, COMPONENT, ..., LONG_COMMON_NAME)
  RxNorm       RXNCONSO.RRF - pipe-delimited, 18 fields + trailing '|', no header (RXCUI|LAT|TS|...|STR|SRL|...)
  SNOMED CT    sct2_Description_<Snapshot|Full|Delta>-en_INT_<date>.txt - RF2 tab-delimited with header
  ICD-10-CM    icd10cm_order_<year>.txt - fixed width: order(5) code(7) billable(1) short(60) long
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cliniq_agent.core.errors import InputError
from cliniq_agent.terminology.normalize import fold_key, strip_semantic_tag
from cliniq_agent.terminology.userdb import UserConcept, UserTerminologyDB
from cliniq_agent.validate.codes import check_code, normalize_code

LOINC_REQUIRED = ("LOINC_NUM", "COMPONENT", "SYSTEM", "CLASS", "STATUS", "LONG_COMMON_NAME")
RRF_FIELDS = 18
SCT_HEADER = ("id", "effectiveTime", "active", "moduleId", "conceptId", "languageCode", "typeId", "term",
              "caseSignificanceId")
SCT_FSN = "900000000000003001"
SCT_SYNONYM = "900000000000013009"
# RxNorm term types, most to least preferred as a display name
RX_TTY_ORDER = ("IN", "PIN", "MIN", "SCD", "SBD", "GPCK", "BPCK", "BN", "SCDG", "SBDG", "SCDF", "SBDF", "SCDC",
                "SBDC", "DF", "DFG", "PSN", "SY", "TMSY", "ET")


@dataclass(frozen=True)
class ImportReport:
    system: str
    file: str
    concepts: int
    names: int
    skipped: int

    def line(self) -> str:
        return (f"{self.system}: {self.concepts} concepts, {self.names} names imported from {self.file}"
                + (f" ({self.skipped} rows skipped)" if self.skipped else ""))


def _open_text(path: Path) -> io.TextIOWrapper:
    try:
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as err:
        raise InputError(f"{path}: cannot read file ({err.strerror})") from err


def _names(code: str, texts: list[str]) -> Iterator[tuple[str, str, str]]:
    seen = set()
    for text in texts:
        key = fold_key(text)
        if text and key and key not in seen:
            seen.add(key)
            yield code, key, text


# ------------------------------------------------------------------------------------------------------ LOINC
def parse_loinc(path: Path) -> tuple[list[UserConcept], list[tuple[str, str, str]], int]:
    with _open_text(path) as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [column for column in LOINC_REQUIRED if column not in header]
        if missing:
            raise InputError(f"{path.name}: not a LOINC Loinc.csv table (missing columns {', '.join(missing)})")
        concepts, names, skipped = [], [], 0
        for line, row in enumerate(reader, start=2):
            code = (row.get("LOINC_NUM") or "").strip()
            if not code or None in row:
                raise InputError(f"{path.name}: malformed LOINC row at line {line}")
            if check_code("loinc", code):
                skipped += 1
                continue
            display = (row.get("LONG_COMMON_NAME") or row.get("DisplayName") or row.get("SHORTNAME") or "").strip()
            if not display:
                skipped += 1
                continue
            concepts.append(UserConcept("loinc", code, display, (row.get("COMPONENT") or "").strip() or None,
                                        None, (row.get("STATUS") or "").strip() or None, path.name))
            names.extend(_names(code, [display, (row.get("SHORTNAME") or "").strip(),
                                       (row.get("DisplayName") or "").strip(),
                                       (row.get("CONSUMER_NAME") or "").strip()]))
    if not concepts:
        raise InputError(f"{path.name}: no LOINC rows found")
    return concepts, names, skipped


# ----------------------------------------------------------------------------------------------------- RxNorm
def parse_rxnconso(path: Path) -> tuple[list[UserConcept], list[tuple[str, str, str]], int]:
    best: dict[str, tuple[int, str, str]] = {}
    all_names: dict[str, list[str]] = {}
    skipped = 0
    rank = {tty: i for i, tty in enumerate(RX_TTY_ORDER)}
    with _open_text(path) as handle:
        for line_no, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            fields = line.split("|")
            if len(fields) != RRF_FIELDS + 1 or fields[-1] != "" or not fields[0].isdigit():
                raise InputError(f"{path.name}: not an RxNorm RXNCONSO.RRF file (line {line_no} does not have "
                                 f"{RRF_FIELDS} '|'-terminated fields starting with a numeric RXCUI)")
            rxcui, lat, sab, tty, text, suppress = fields[0], fields[1], fields[11], fields[12], fields[14], fields[16]
            if sab != "RXNORM" or lat != "ENG" or suppress not in ("N", ""):
                skipped += 1
                continue
            all_names.setdefault(rxcui, []).append(text)
            score = rank.get(tty, len(rank))
            if rxcui not in best or score < best[rxcui][0]:
                best[rxcui] = (score, text, tty)
    if not best:
        raise InputError(f"{path.name}: no RXNORM-source rows found")
    concepts = [UserConcept("rxnorm", cui, text, None, None, tty, path.name) for cui, (_, text, tty) in best.items()]
    names = [name for cui, texts in all_names.items() for name in _names(cui, texts)]
    return concepts, names, skipped


# -------------------------------------------------------------------------------------------------- SNOMED CT
def parse_sct_descriptions(path: Path) -> tuple[list[UserConcept], list[tuple[str, str, str]], int]:
    latest: dict[str, tuple[str, list[str]]] = {}
    with _open_text(path) as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
        if tuple(header) != SCT_HEADER:
            raise InputError(f"{path.name}: not a SNOMED CT RF2 description file (header must be "
                             f"{' '.join(SCT_HEADER)})")
        for line_no, line in enumerate(handle, start=2):
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) != len(SCT_HEADER) or not fields[0].isdigit() or not fields[4].isdigit():
                raise InputError(f"{path.name}: malformed RF2 description row at line {line_no}")
            previous = latest.get(fields[0])
            if previous is None or fields[1] >= previous[0]:  # Full releases repeat ids: keep the newest state
                latest[fields[0]] = (fields[1], fields)
    fsn: dict[str, str] = {}
    synonyms: dict[str, list[str]] = {}
    skipped = 0
    for _, fields in latest.values():
        concept_id, active, type_id, term = fields[4], fields[2], fields[6], fields[7]
        if active != "1" or check_code("snomed", concept_id):
            skipped += 1
            continue
        if type_id == SCT_FSN:
            fsn[concept_id] = term
        elif type_id == SCT_SYNONYM:
            synonyms.setdefault(concept_id, []).append(term)
        else:
            skipped += 1
    concept_ids = set(fsn) | set(synonyms)
    if not concept_ids:
        raise InputError(f"{path.name}: no active SNOMED CT descriptions found")
    concepts = []
    names = []
    for concept_id in sorted(concept_ids):
        display = fsn.get(concept_id) or synonyms[concept_id][0]
        concepts.append(UserConcept("snomed", concept_id, display, None, None, "active", path.name))
        names.extend(_names(concept_id, [strip_semantic_tag(display), *synonyms.get(concept_id, [])]))
    return concepts, names, skipped


# -------------------------------------------------------------------------------------------------- ICD-10-CM
def parse_icd10cm_order(path: Path) -> tuple[list[UserConcept], list[tuple[str, str, str]], int]:
    concepts, names = [], []
    with _open_text(path) as handle:
        for line_no, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            order, code, flag = line[0:5], line[6:13].strip(), line[14:15]
            if not (order.isdigit() and line[5:6] == " " and line[13:14] == " " and flag in ("0", "1")
                    and code and len(line) > 16):
                raise InputError(f"{path.name}: not an ICD-10-CM order file (line {line_no} is not "
                                 "'ORDER CODE    B SHORT...LONG' fixed-width)")
            short, long_name = line[16:76].strip(), line[77:].strip() or line[16:76].strip()
            dotted = normalize_code("icd10", code)
            parent = normalize_code("icd10", code[:-1].rstrip("X")) if len(code) > 3 else None
            concepts.append(UserConcept("icd10", dotted, long_name, None, parent,
                                        "billable" if flag == "1" else "header", path.name))
            names.extend(_names(dotted, [long_name, short]))
    if not concepts:
        raise InputError(f"{path.name}: no ICD-10-CM rows found")
    return concepts, names, 0


PARSERS = {
    "loinc": parse_loinc,
    "rxnorm": parse_rxnconso,
    "snomed": parse_sct_descriptions,
    "icd10": parse_icd10cm_order,
}


@dataclass(frozen=True)
class ParsedTable:
    system: str
    file: str
    concepts: list[UserConcept]
    names: list[tuple[str, str, str]]
    skipped: int


def parse_table(system: str, path: Path) -> ParsedTable:
    """Parse ``path`` as the official ``system`` release file (nothing is written)."""
    if system not in PARSERS:
        raise InputError(f"unknown terminology '{system}' (expected one of {', '.join(PARSERS)})")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        concepts, names, skipped = PARSERS[system](path)
    except UnicodeDecodeError as err:
        raise InputError(f"{path.name}: not UTF-8 text ({err.reason})") from err
    except csv.Error as err:
        raise InputError(f"{path.name}: malformed CSV ({err})") from err
    return ParsedTable(system, path.name, concepts, names, skipped)


def store_table(table: ParsedTable, db: UserTerminologyDB | None = None) -> ImportReport:
    """Write a parsed table to the user's terminology database, replacing an earlier import of that system."""
    db = db or UserTerminologyDB()
    n_concepts, n_names = db.replace_system(table.system, table.concepts, table.names, file=table.file,
                                            skipped=table.skipped)
    return ImportReport(table.system, table.file, n_concepts, n_names, table.skipped)


def import_table(system: str, path: Path, db: UserTerminologyDB | None = None) -> ImportReport:
    """Parse and store one release file."""
    return store_table(parse_table(system, path), db)
