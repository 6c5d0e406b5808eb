"""Index documents: one per (code, name) of the terminology KB, with the metadata retrieval filters on.

Every name of a concept becomes its own document (preferred name, synonyms, abbreviations, translations), so a
query in Vietnamese meets the Vietnamese name rather than an average over languages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from cliniq_agent.core.resources import kb_path
from cliniq_agent.terminology import Concept, TerminologyKB, fold_key
from cliniq_agent.terminology import icd10 as icd10_package
from cliniq_agent.terminology.normalize import is_case_sensitive_abbreviation, strip_semantic_tag

Kind = Literal["condition", "finding", "lab", "med", "vaccine"]
_KIND_BY_SYSTEM: dict[str, Kind] = {"icd10": "condition", "loinc": "lab", "rxnorm": "med", "cvx": "vaccine"}
_LINK_STRENGTHS = {"precise", "broad", "moderate"}  # weak / exposure links are hints, not a code's condition
# Inputs of the documents besides the code below: a change to any of them gives a new index key.
_KB_INPUTS = (("terminology", "*.tsv"), ("reportability", "icd10_links.tsv"), ("reportability", "text_links.tsv"),
              ("reportability", "med_links.tsv"))


class IndexDocument(BaseModel):
    """One name of one code."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str                       # "<system>:<code>:<n>"
    text: str                     # the name as written in the KB
    system: str
    code: str
    name: str                     # the concept's display (what a hit shows)
    kind: Kind
    condition: str = ""           # linked RCTC reportable condition (SNOMED CT), '' when none
    role: Literal["preferred", "synonym"] = "synonym"
    lang: str = "en"
    case_sensitive: bool = False  # short upper-case abbreviation: lexical match needs the same letter case

    def metadata(self) -> dict[str, str | bool]:
        """Chroma metadata (no None values allowed there)."""
        return self.model_dump(exclude={"id", "text"})


def condition_for(kb: TerminologyKB, concept: Concept) -> str:
    """The single reportable condition a code points at ('' when none or ambiguous)."""
    if concept.system in ("snomed", "icd10"):
        return concept.condition or ""
    if concept.system == "loinc":
        links = kb.lab_condition(concept.code)
    elif concept.system == "cvx":
        links = kb.med_conditions(cvx=concept.code)
    else:
        links = kb.med_conditions(name=concept.display)
    conditions = {link.condition for link in links if link.strength in _LINK_STRENGTHS}
    return conditions.pop() if len(conditions) == 1 else ""


def _names(kb: TerminologyKB, concept: Concept) -> Iterator[tuple[str, str, str, str]]:
    """(text, role, lang, synonym kind) for every name of ``concept``, preferred first."""
    condition = kb.condition(concept.code) if concept.system == "snomed" else None
    if condition is not None:
        yield condition.name, "preferred", "en", "clinical"
        yield strip_semantic_tag(condition.rctc_name), "synonym", "en", "rctc"
        for synonym in condition.synonyms:
            yield synonym.text, "synonym", synonym.lang, synonym.kind
        # the harvested display of the same code ("Pertussis (disorder)") is a name too; TerminologyKB.concepts()
        # yields the condition concept only, so read the harvested table it keeps
        harvested = kb._tables["snomed"].get(concept.code)  # noqa: SLF001 (no public accessor yet)
        if harvested is not None:
            for text in (harvested.display, *harvested.synonyms):
                yield strip_semantic_tag(text), "synonym", "en", "clinical"
        return
    display = strip_semantic_tag(concept.display) if concept.system == "snomed" else concept.display
    yield display, "preferred", "en", "clinical"
    for text in concept.synonyms:
        yield strip_semantic_tag(text) if concept.system == "snomed" else text, "synonym", "en", "clinical"


def concept_documents(kb: TerminologyKB, concept: Concept) -> list[IndexDocument]:
    """The documents of one concept (names deduplicated after folding)."""
    kind: Kind = _KIND_BY_SYSTEM.get(concept.system, "finding")
    if concept.system == "snomed" and kb.condition(concept.code) is not None:
        kind = "condition"
    condition = condition_for(kb, concept)
    display = strip_semantic_tag(concept.display) if concept.system == "snomed" else concept.display
    if concept.system == "snomed" and kb.condition(concept.code) is not None:
        display = kb.condition(concept.code).name
    seen: set[str] = set()
    documents = []
    for text, role, lang, synonym_kind in _names(kb, concept):
        key = fold_key(text)
        if not key or key in seen:
            continue
        seen.add(key)
        documents.append(IndexDocument(
            id=f"{concept.system}:{concept.code}:{len(documents)}", text=text.strip(), system=concept.system,
            code=concept.code, name=display, kind=kind, condition=condition, role=role, lang=lang or "en",
            case_sensitive=is_case_sensitive_abbreviation(text, synonym_kind)))
    return documents


def build_documents(kb: TerminologyKB, *, full_icd10: bool = False,
                    max_user_concepts: int = 20_000) -> list[IndexDocument]:
    """Documents for every concept of the KB (ICD-10-CM: the reportable subset unless ``full_icd10``)."""
    documents: list[IndexDocument] = []
    user_concepts = 0
    for concept in kb.concepts(full_icd10=full_icd10):
        if any(p.startswith("user:") for p in concept.provenance) and "rctc" not in concept.provenance:
            user_concepts += 1
            if user_concepts > max_user_concepts:
                continue
        documents.extend(concept_documents(kb, concept))
    return documents


def documents_key(documents: list[IndexDocument], model_id: str) -> str:
    """Hash of an explicit document list (indexes built from a subset: tests, tools)."""
    digest = hashlib.sha256()
    for document in documents:
        digest.update(document.model_dump_json().encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(f"{model_id}|documents".encode())
    return digest.hexdigest()[:16]


def content_key(kb: TerminologyKB, model_id: str, *, full_icd10: bool) -> str:
    """Hash of everything the index content depends on: KB tables, user imports, code, model, options."""
    digest = hashlib.sha256()
    for folder, pattern in _KB_INPUTS:
        for path in sorted(kb_path(folder).glob(pattern)):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    if kb.user_db.exists():
        stat = kb.user_db.path.stat()
        digest.update(f"user:{stat.st_size}:{stat.st_mtime_ns}".encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(f"{model_id}|{icd10_package.package_version()}|full_icd10={full_icd10}".encode())
    return digest.hexdigest()[:16]
