"""Small FHIR element builders shared by the resource modules, and the per-run build context.

Everything here returns plain JSON-shaped dicts; the resource modules validate each finished resource with
its R4B model class, so a malformed element fails at construction with the resource named.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from cliniq_agent.core.code_systems import code_systems
from cliniq_agent.fhir import tables
from cliniq_agent.fhir.values import FhirDate, ParsedNumber, decimal_json, parse_date
from cliniq_agent.core.schema import Code, Evidence
from cliniq_agent.validate import check_code, normalize_code

#: Namespace of the deterministic resource ids: uuid5(NAMESPACE_URL, "urn:cliniq-agent:fhir").
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:cliniq-agent:fhir")

JSON = dict[str, Any]


@dataclass
class Built:
    """One resource ready for the bundle, with the evidence it rests on."""

    resource: Any  # an R4B resource model instance
    full_url: str
    evidence: list[Evidence] = field(default_factory=list)
    # eICR trigger-code flag extension of a triggering order, for the Composition.section.entry that lists it
    trigger: dict[str, Any] | None = None

    @property
    def resource_type(self) -> str:
        return self.resource.get_resource_type()


@dataclass
class BuildContext:
    """Per-run state: deterministic ids, references to the patient / encounter, fallback dates."""

    run_id: str
    document_date: FhirDate | None = None
    encounter_date: FhirDate | None = None
    patient_ref: JSON | None = None
    encounter_ref: JSON | None = None
    _used: set[str] = field(default_factory=set)

    def mint(self, kind: str, identity: str) -> tuple[str, str]:
        """(id, fullUrl) from uuid5(run id + kind + item identity); identity must be unique within the run."""
        name = f"{self.run_id}|{kind}|{identity}"
        if name in self._used:
            raise ValueError(f"duplicate resource identity {kind}|{identity} in run {self.run_id}")
        self._used.add(name)
        value = str(uuid.uuid5(ID_NAMESPACE, name))
        return value, f"urn:uuid:{value}"

    @property
    def meta(self) -> JSON:
        return {"source": f"urn:cliniq-agent:run:{quote(self.run_id, safe='')}"}

    def clinical_date(self) -> FhirDate | None:
        """The date an undated measurement of this encounter is attributed to (encounter start, else document)."""
        return self.encounter_date or self.document_date


def observation(ctx: BuildContext, identity: str, category_key: str, code: JSON, *,
                status: str | None = "final") -> tuple[JSON, str]:
    """The shared skeleton of every Observation: id, meta, category, code, subject, encounter."""
    resource_id, full_url = ctx.mint("Observation", identity)
    data: JSON = {"resourceType": "Observation", "id": resource_id, "meta": ctx.meta}
    if status:
        data["status"] = status
    data.update({"category": [fixed_concept(category_key)], "code": code, "subject": ctx.patient_ref})
    if ctx.encounter_ref:
        data["encounter"] = ctx.encounter_ref
    return data, full_url


def reference(full_url: str, display: str | None = None) -> JSON:
    ref: JSON = {"reference": full_url}
    if display:
        ref["display"] = display
    return ref


def fixed_coding(key: str) -> JSON:
    code = tables.fixed_codes()[key]
    return {"system": tables.system_uri(code.system), "code": code.code, "display": code.display}


def fixed_concept(key: str, text: str | None = None) -> JSON:
    concept: JSON = {"coding": [fixed_coding(key)]}
    if text:
        concept["text"] = text
    return concept


def coding(system_key: str, code: str | None, display: str | None = None) -> JSON | None:
    """A coding only when ``code`` passes its system's validity check; None otherwise (the item keeps its text)."""
    if code is None or not code.strip():
        return None
    info = code_systems()[system_key]
    if info.checked:
        if check_code(info.key, code) is not None:
            return None
        code = normalize_code(info.key, code)
    result: JSON = {"system": info.uri, "code": code.strip()}
    if display:
        result["display"] = display
    return result


def extra_codings(codes: list[Code], present: list[JSON | None]) -> list[JSON]:
    """Codings for an item's other codes (CDA <translation>s, issue 11), none repeating ``present``: a system of
    the code-system table gets its URI (a checked one only with a valid code), an unknown one stays ``urn:oid:…``."""
    seen = {(c["system"], c["code"]) for c in present if c}
    found: list[JSON] = []
    for code in codes:
        written = " ".join(code.code.split())
        display = " ".join((code.display or "").split()) or None
        if code.system in code_systems():
            made = coding(code.system, written, display)
        elif code.system.startswith("urn:oid:") and written:
            made = {"system": code.system, "code": written, **({"display": display} if display else {})}
        else:
            made = None
        if made is not None and (made["system"], made["code"]) not in seen:
            seen.add((made["system"], made["code"]))
            found.append(made)
    return found


def item_concept(codings: list[JSON | None], codes: list[Code], *text: str | None) -> JSON | None:
    """CodeableConcept of an item: its own codings, then its other codes; text = the first non-empty of ``text``
    (callers pass originalText first, then the name)."""
    kept = [c for c in codings if c is not None]
    return concept([*kept, *extra_codings(codes, kept)], text_or(*text))


def concept(codings: list[JSON | None], text: str | None) -> JSON | None:
    """CodeableConcept from the valid codings and the text; None when both are empty."""
    kept = [c for c in codings if c is not None]
    result: JSON = {}
    if kept:
        result["coding"] = kept
    if text and text.strip():
        result["text"] = text.strip()
    return result or None


def original_text(text: str) -> JSON:
    """Primitive-element extension carrying text as written (core extension ``originalText``)."""
    return {"extension": [{"url": tables.extension_urls()["original_text"], "valueString": text}]}


def put_date(target: JSON, name: str, written: str | None, *, date_only: bool = False,
             fallback: FhirDate | None = None) -> None:
    """Set ``target[name]`` from a written date; keep the written text (originalText) when it is not exact.

    ``fallback`` is used only when nothing was written.
    """
    if written is None or not written.strip():
        if fallback is not None:
            target[name] = fallback.value
        return
    parsed = parse_date(written, date_only=date_only)
    if parsed is not None:
        target[name] = parsed.value
    if parsed is None or not parsed.exact:
        target[f"_{name}"] = original_text(written.strip())


def text_or(*candidates: str | None) -> str | None:
    for candidate in candidates:
        if candidate and candidate.strip():
            return candidate.strip()
    return None


def quantity(number: ParsedNumber, written_unit: str | None, *, allowed: frozenset[str] | None = None) -> JSON:
    """Quantity with UCUM system/code when the unit is a known UCUM unit (and, for vitals, one allowed for
    the measurement); otherwise the unit stays as text only, since a guessed UCUM code would be a wrong code."""
    result: JSON = {"value": decimal_json(number.value)}
    if number.comparator:
        result["comparator"] = number.comparator
    if written_unit and written_unit.strip():
        unit = tables.lookup_unit(written_unit)
        if unit is not None and (allowed is None or unit.ucum in allowed):
            result.update(unit=unit.display, system=tables.system_uri("ucum"), code=unit.ucum)
        else:
            result["unit"] = written_unit.strip()
    return result
