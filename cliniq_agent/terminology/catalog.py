"""TerminologyKB: the kb/ terminology tables plus user-imported licensed tables, behind one lookup API.

Loading reads only the small curated/generated tables (< 0.1 s); the name index for exact matching, the full
ICD-10-CM (simple-icd-10-cm) and the user's SQLite tables are consulted lazily.
"""

from __future__ import annotations

import os
import stat
from collections import defaultdict
from collections.abc import Iterator
from functools import cached_property, lru_cache
from pathlib import Path

import regex

from cliniq_agent.core.code_systems import checked_systems, resolve
from cliniq_agent.core.resources import kb_path
from cliniq_agent.core.tsv import read_tsv
from cliniq_agent.terminology import icd10
from cliniq_agent.terminology.icd10_links import IcdLinkTable, load_icd10_links
from cliniq_agent.terminology.med_links import MedLinkTable, load_med_links
from cliniq_agent.terminology.models import (
    Concept,
    ConditionLink,
    ReportableCondition,
    Synonym,
    ValueSetRef,
)
from cliniq_agent.terminology.normalize import case_key, fold_key, is_case_sensitive_abbreviation, strip_semantic_tag
from cliniq_agent.terminology.text_links import LabLink, TextLinkTable, load_text_links
from cliniq_agent.terminology.tones import ToneNames
from cliniq_agent.terminology.userdb import UserTerminologyDB, default_path, merged_concept
from cliniq_agent.validate.codes import normalize_code

_SYNONYM_TYPES = {"Diagnosis Problem", "Suspected Disorder"}
_VS_LEAD = regex.compile(r"\s\(")
_VS_BRACKET = regex.compile(r"\s*\[[^\]]*\]?")


def normalize_system(system: str) -> str | None:
    """Short system name from a short name, an HL7 OID, a FHIR URI or a display name."""
    key = resolve(system)
    return key if key in checked_systems() else None


class TerminologyKB:
    """Codes, names and reportable-condition links. Use :meth:`load` (cached per process)."""

    def __init__(self, kb_dir: Path, user_db: UserTerminologyDB) -> None:
        self.kb_dir = kb_dir
        self.user_db = user_db
        self._conditions = self._load_conditions()
        self._by_condition = {c.snomed: c for c in self._conditions}
        self._tables: dict[str, dict[str, Concept]] = {
            system: self._load_harvested(system) for system in ("snomed", "loinc", "rxnorm", "cvx")
        }
        self.icd10_links: IcdLinkTable = load_icd10_links(kb_path("reportability", "icd10_links.tsv"))
        self.text_links: TextLinkTable = load_text_links()
        self.med_links: MedLinkTable = load_med_links()

    # ----------------------------------------------------------------------------------------------- loading
    @cached_property
    def _icd_rows(self) -> dict[str, dict[str, str]]:
        """ICD-10-CM codes under a reportable-condition prefix (read on first ICD-10-CM use)."""
        return {row["code"]: row for row in read_tsv(self.kb_dir / "icd10cm_reportable.tsv")}

    @classmethod
    def load(cls, *, user_db_path: Path | None = None, refresh: bool = False) -> TerminologyKB:
        """The process-wide KB (re-read when ``refresh`` or when the user's imported tables changed)."""
        # Called per document by several nodes: one stat, no mkdir (the importer makes the folder it writes to).
        db_path = user_db_path or default_path(create=False)
        try:
            info = os.stat(db_path)
            stamp = info.st_mtime_ns if stat.S_ISREG(info.st_mode) else 0
        except OSError:
            stamp = 0
        if refresh:
            _cached.cache_clear()
        return _cached(_terminology_dir(), str(db_path), stamp)

    def _load_conditions(self) -> tuple[ReportableCondition, ...]:
        rctc = {row["snomed"]: row for row in read_tsv(self.kb_dir / "rctc_conditions.tsv")}
        valuesets: dict[str, list[ValueSetRef]] = defaultdict(list)
        leads: dict[str, set[str]] = defaultdict(set)
        for row in read_tsv(self.kb_dir / "rctc_valuesets.tsv"):
            valuesets[row["condition"]].append(
                ValueSetRef(name=row["name"], oid=row["oid"], type=row["type"], code_system=row["code_system"]))
            if row["type"] in _SYNONYM_TYPES:
                leads[_VS_BRACKET.sub("", _VS_LEAD.split(row["name"])[0]).strip()].add(row["condition"])
        excluded = {fold_key(r["name"]) for r in read_tsv(self.kb_dir / "valueset_synonym_exclusions.tsv")}
        synonyms: dict[str, list[Synonym]] = defaultdict(list)
        for lead, owners in sorted(leads.items()):
            if len(owners) == 1 and fold_key(lead) not in excluded:
                synonyms[next(iter(owners))].append(Synonym(text=lead, lang="en", kind="valueset"))
        for row in read_tsv(self.kb_dir / "synonyms.tsv"):
            synonyms[row["snomed"]].append(Synonym(text=row["text"], lang=row["lang"], kind=row["kind"]))
        conditions = []
        for row in read_tsv(self.kb_dir / "condition_profile.tsv"):
            code = row["snomed"]
            if code not in rctc:
                raise ValueError(f"condition_profile.tsv: {code} is not an RCTC condition")
            conditions.append(ReportableCondition(
                snomed=code, name=row["preferred"], rctc_name=rctc[code]["rctc_name"], category=row["category"],
                scope=row["scope"], parent=row["parent"] or None, generic=row["generic"] == "yes",
                synonyms=tuple(synonyms.get(code, ())), value_sets=tuple(valuesets.get(code, ())),
            ))
        missing = set(rctc) - {c.snomed for c in conditions}
        if missing:
            raise ValueError(f"condition_profile.tsv lacks RCTC conditions {sorted(missing)}")
        return tuple(conditions)

    def _load_harvested(self, system: str) -> dict[str, Concept]:
        table = {}
        for row in read_tsv(self.kb_dir / f"{system}.tsv"):
            others = tuple(n for n in row.get("other_names", "").split("|") if n)
            table[row["code"]] = Concept(
                system=system, code=row["code"], display=row["display"], synonyms=others,
                component=row.get("component") or None,
                provenance=tuple(p for p in row.get("provenance", "").split(",") if p),
            )
        return table

    # ------------------------------------------------------------------------------------------- conditions
    @property
    def conditions(self) -> tuple[ReportableCondition, ...]:
        return self._conditions

    def condition(self, snomed: str) -> ReportableCondition | None:
        return self._by_condition.get(snomed.strip())

    def diagnosis_condition(self, condition: ReportableCondition) -> ReportableCondition:
        """The condition a *diagnosis* naming ``condition`` denotes.

        RCTC lists a few organisms as conditions ("Human respiratory syncytial virus (organism)"); a
        diagnosis names the disorder, so an organism with exactly one refining disorder maps to it."""
        if not condition.rctc_name.endswith("(organism)"):
            return condition
        children = [c for c in self._conditions if c.parent == condition.snomed and not c.rctc_name.endswith("(organism)")]
        return children[0] if len(children) == 1 else condition

    def _condition_concept(self, condition: ReportableCondition) -> Concept:
        return Concept(system="snomed", code=condition.snomed, display=strip_semantic_tag(condition.rctc_name),
                       synonyms=tuple(dict.fromkeys([condition.name, *(s.text for s in condition.synonyms)])),
                       condition=condition.snomed, provenance=("rctc",))

    # ----------------------------------------------------------------------------------------------- lookup
    def lookup(self, system: str, code: str) -> Concept | None:
        """The concept for ``code`` in ``system`` (short name, OID or FHIR URI), or None."""
        short = normalize_system(system)
        if short is None or not code or not code.strip():
            return None
        code = normalize_code(short, code) if short == "icd10" else code.strip()
        if short == "snomed" and code in self._by_condition:
            return self._condition_concept(self._by_condition[code])
        if short == "icd10":
            return self._icd10_concept(code)
        found = self._tables[short].get(code)
        user = self.user_db.lookup(short, code)
        if user is not None:
            return merged_concept(found, user)
        return found

    def _icd10_concept(self, code: str) -> Concept | None:
        link = self.icd10_condition(code)
        row = self._icd_rows.get(code)
        if row is not None:
            return Concept(system="icd10", code=code, display=row["description"], parent=row["parent"] or None,
                           condition=link.condition if link else None, provenance=(icd10.package_version(),))
        user = self.user_db.lookup("icd10", code)
        if user is not None:
            concept = merged_concept(None, user)
            return concept.model_copy(update={"condition": link.condition if link else None})
        described = icd10.describe(code)
        if described is None:
            return None
        return Concept(system="icd10", code=code, display=described[0], parent=described[1],
                       condition=link.condition if link else None, provenance=(icd10.package_version(),))

    def concepts(self, system: str | None = None, *, full_icd10: bool = False) -> Iterator[Concept]:
        """Every concept the KB holds (conditions first), optionally of one system.

        ICD-10-CM yields the reportable subset unless ``full_icd10`` (the package's ~98k items, slow first time)
        or a user-imported ICD-10-CM table exists."""
        short = normalize_system(system) if system else None
        seen: set[tuple[str, str]] = set()

        def fresh(concept: Concept) -> bool:
            key = (concept.system, concept.code)
            if key in seen:
                return False
            seen.add(key)
            return True

        if short in (None, "snomed"):
            for condition in self._conditions:
                concept = self._condition_concept(condition)
                if fresh(concept):
                    yield concept
        for name in ("snomed", "loinc", "rxnorm", "cvx"):
            if short in (None, name):
                for concept in self._tables[name].values():
                    if fresh(concept):
                        yield concept
        user_systems = self.user_db.systems()
        for user in self.user_db.iter_concepts(short):
            concept = merged_concept(self._tables.get(user.system, {}).get(user.code), user)
            if fresh(concept):
                yield concept
        if short in (None, "icd10"):
            for code in self._icd_rows:
                concept = self._icd10_concept(code)
                if concept is not None and fresh(concept):
                    yield concept
            if full_icd10 and "icd10" not in user_systems:
                for code, description, parent in icd10.iter_codes():
                    link = self.icd10_condition(code)
                    concept = Concept(system="icd10", code=code, display=description, parent=parent,
                                      condition=link.condition if link else None,
                                      provenance=(icd10.package_version(),))
                    if fresh(concept):
                        yield concept

    # ---------------------------------------------------------------------------------------- exact matching
    @cached_property
    def _name_index(self) -> tuple[dict[str, list[tuple[str, str]]], dict[str, list[tuple[str, str]]]]:
        folded: dict[str, list[tuple[str, str]]] = defaultdict(list)
        cased: dict[str, list[tuple[str, str]]] = defaultdict(list)

        def add(text: str, system: str, code: str, kind: str = "clinical") -> None:
            if is_case_sensitive_abbreviation(text, kind):
                bucket, key = cased, case_key(text)
            else:
                bucket, key = folded, fold_key(text)
            if key and (system, code) not in bucket[key]:
                bucket[key].append((system, code))

        for condition in self._conditions:
            add(condition.name, "snomed", condition.snomed)
            add(strip_semantic_tag(condition.rctc_name), "snomed", condition.snomed)
            for synonym in condition.synonyms:
                add(synonym.text, "snomed", condition.snomed, synonym.kind)
        for system, table in self._tables.items():
            for concept in table.values():
                for text in (concept.display, *concept.synonyms):
                    add(strip_semantic_tag(text) if system == "snomed" else text, system, concept.code)
        for code, row in self._icd_rows.items():
            add(row["description"], "icd10", code)
        return dict(folded), dict(cased)

    @cached_property
    def condition_key_languages(self) -> dict[str, dict[str, frozenset[str]]]:
        """Folded condition-name keys that name several conditions (or one, in its own language only: French
        "rage"), with the languages of each one's synonym: after folding, Spanish/Portuguese "rubéola" (rubella)
        is English "rubeola" (measles)."""
        langs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for condition in self._conditions:
            for synonym in condition.synonyms:
                langs[fold_key(synonym.text)][condition.snomed].add(synonym.lang)
        return {key: {code: frozenset(found) for code, found in codes.items()}
                for key, codes in langs.items() if len(codes) > 1 or key in self.own_language_keys}

    @cached_property
    def own_language_keys(self) -> frozenset[str]:
        """Folded keys of `own_language` synonyms: a name that is an ordinary word of another language (French
        "rage" is rabies, English "rage" anger) names its condition only in its own language."""
        return frozenset(fold_key(synonym.text) for condition in self._conditions for synonym in condition.synonyms
                         if synonym.kind == "own_language")

    @cached_property
    def tone_names(self) -> ToneNames:
        """Vietnamese names and their tone marks: "bệnh thận" (kidney disease) is not "bệnh than" (anthrax)."""
        synonyms = [synonym for condition in self._conditions for synonym in condition.synonyms]
        return ToneNames((s.text for s in synonyms if s.lang == "vi"),
                         [s.text for s in synonyms if s.lang != "vi"] + [c.name for c in self._conditions])

    def name_key_hits(self, key: str, *, cased: bool = False) -> list[tuple[str, str]]:
        """(system, code) pairs whose name/alias has exactly this key (``fold_key`` / ``case_key`` form).

        For scanners that build keys from token n-grams themselves (the lookup tier)."""
        folded, case = self._name_index
        return list((case if cased else folded).get(key, ()))

    @cached_property
    def name_key_starts(self) -> tuple[frozenset[str], int]:
        """(first words of every ``fold_key`` name key, longest ``case_key`` name key in characters): lets a
        scanner skip positions where no name can start."""
        folded, cased = self._name_index
        return frozenset(key.split()[0] for key in folded), max((len(key) for key in cased), default=0)

    @cached_property
    def longest_name_tokens(self) -> int:
        folded, cased = self._name_index
        return max(len(key.split()) for key in (*folded, *cased))

    def match_exact(self, text: str, system: str | None = None) -> list[Concept]:
        """Concepts whose name or alias equals ``text`` after folding (case, accents, punctuation).

        Reportable-condition names and synonyms come first; short abbreviations must match letter case."""
        short = normalize_system(system) if system else None
        if system and short is None:
            return []
        folded, cased = self._name_index
        key = fold_key(text)
        hits = list(cased.get(case_key(text), ())) + list(folded.get(key, ()) if self.tone_names.agree(text, key) else ())
        hits += [hit for hit in self.user_db.match(fold_key(text), short) if hit not in hits]
        results = []
        for hit_system, code in hits:
            if short and hit_system != short:
                continue
            concept = self.lookup(hit_system, code)
            if concept is not None and concept not in results:
                results.append(concept)
        return results

    # ---------------------------------------------------------------------------------- condition linking
    def icd10_condition(self, code: str) -> ConditionLink | None:
        """The reportable condition an ICD-10-CM code indicates (most specific prefix), or None.

        Only existing codes link: icd10cm_reportable.tsv lists every code under a linked prefix (a user-imported
        ICD-10-CM release adds newer codes)."""
        code = normalize_code("icd10", code)
        if code not in self._icd_rows and self.user_db.lookup("icd10", code) is None:
            return None
        link = self.icd10_links.best(code)
        if link is None or link.condition == "none":
            return None
        return ConditionLink(condition=link.condition, via=f"icd10:{link.prefix}", strength=link.strength)

    def dx_conditions(self, text: str | None) -> list[ConditionLink]:
        """Conditions a diagnosis display names (disease / organism patterns, global exclusions applied)."""
        return [link for _, link in self.text_links.match(text, "dx")]

    def lab_links(self, loinc: str | None, display: str | None = None) -> list[LabLink]:
        """Conditions a lab test is about: KB/user LOINC display first, the report's own name as fallback."""
        names: list[str] = []
        concept = self.lookup("loinc", loinc) if loinc else None
        if concept is not None:
            names = [concept.display] + ([concept.component] if concept.component else [])
        for name in names:
            found = self.text_links.match(name, "lab")
            if found:
                return [LabLink(link, row, "kb") for row, link in found]
        if display:
            return [LabLink(link, row, "local") for row, link in self.text_links.match(display, "lab")]
        return []

    def lab_condition(self, loinc: str | None, display: str | None = None) -> list[ConditionLink]:
        """Conditions a (positive) result of this lab test would indicate."""
        return [lab.link for lab in self.lab_links(loinc, display)]

    def result_organisms(self, result_text: str | None) -> list[LabLink]:
        """Organisms named in a result value (culture / identification results)."""
        return [LabLink(link, row, "result") for row, link in self.text_links.match(result_text, "lab")]

    def med_conditions(self, name: str | None = None, cvx: str | None = None) -> list[ConditionLink]:
        """Conditions a medication or immunizing agent hints at (strength moderate | weak)."""
        return self.med_links.conditions(name, cvx)

    def stats(self) -> dict[str, int]:
        """Row counts per table (for `cliniq-agent kb` and the README)."""
        counts = {"conditions": len(self._conditions),
                  "condition_synonyms": sum(len(c.synonyms) for c in self._conditions),
                  "value_sets": sum(len(c.value_sets) for c in self._conditions),
                  "icd10cm_reportable": len(self._icd_rows),
                  "icd10_links": len(self.icd10_links.links), "text_links": len(self.text_links.links),
                  "med_links": len(self.med_links.links)}
        counts.update({system: len(table) for system, table in self._tables.items()})
        for row in self.user_db.imports():
            counts[f"user_{row['system']}"] = int(row["concepts"] or 0)
        return counts


@lru_cache(maxsize=1)
def _terminology_dir() -> str:
    """kb/terminology as a string, worked out once (``load`` runs several times per document)."""
    return str(kb_path("terminology"))


@lru_cache(maxsize=4)
def _cached(kb_dir: str, user_db: str, stamp: int) -> TerminologyKB:  # stamp keys the cache; 0: no file
    return TerminologyKB(Path(kb_dir), UserTerminologyDB(Path(user_db), absent=stamp == 0))
