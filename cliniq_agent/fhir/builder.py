"""build_bundle: the compact record as a FHIR R4 ``collection`` Bundle (validated with the R4B models).

build_resources makes the resources (the run's one Provenance last) and bundle_json wraps them; the document form
(fhir/document.py) puts an eICR Composition in front of the same resources. The resources reference each other by
``urn:uuid`` fullUrls derived from the run id.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from cliniq_agent.fhir.act_bundle import build_act_resources, build_medication_event, link_diagnoses
from cliniq_agent.fhir.clinical import build_condition, build_immunization, build_medication
from cliniq_agent.fhir.demographics import build_encounter, build_organization, build_patient
from cliniq_agent.fhir.elements import ID_NAMESPACE, BuildContext, Built
from cliniq_agent.fhir.labs import build_lab
from cliniq_agent.fhir.profiles import claim_profiles
from cliniq_agent.fhir.provenance import build_run_provenance
from cliniq_agent.fhir.reportable import CodeIndex, build_reportable, code_key
from cliniq_agent.fhir.social import build_social
from cliniq_agent.fhir.values import parse_date
from cliniq_agent.fhir.vitals import build_vitals
from cliniq_agent.core.schema import Assertion, CompactRecord


def _check_asserted(record: CompactRecord) -> None:
    """The bundle states facts: a draft still holding negated/historical mentions must not reach it."""
    for name in (*CompactRecord.ITEM_LISTS, *CompactRecord.ACT_LISTS):
        for index, item in enumerate(getattr(record, name)):
            if item.assertion is not Assertion.PRESENT:
                raise ValueError(
                    f"build_bundle needs the final record (asserted items only): {name}[{index}] has "
                    f"assertion '{item.assertion.value}'"
                )


def _index(codes: CodeIndex, built: Built, pairs: list[tuple[str, str | None]]) -> None:
    for system, code in pairs:
        if code and code.strip():
            key = code_key(system, code)
            if key is not None:
                codes.setdefault(key, []).append(built.full_url)


def build_bundle(
    record: CompactRecord,
    *,
    run_id: str,
    source_name: str,
    source_sha256: str,
    document_date: str | None = None,
    recorded: dt.datetime | None = None,
) -> dict[str, Any]:
    """FHIR R4 collection Bundle (JSON dict, no nulls) for a final compact record.

    ``run_id`` seeds every resource id (uuid5), so the same run id and record give the same ids.
    ``document_date`` dates undated vitals / social-history statements when the encounter has no date.
    ``recorded`` (default: now, UTC) is the Provenance.recorded / Bundle.timestamp instant.
    Raises ValueError for a draft record, an empty run id, a bad digest or an unreadable document date.
    """
    recorded = recorded or dt.datetime.now(dt.timezone.utc)
    built = build_resources(record, run_id=run_id, source_name=source_name, source_sha256=source_sha256,
                            document_date=document_date, recorded=recorded)
    return bundle_json(built, bundle_id=str(uuid.uuid5(ID_NAMESPACE, f"{run_id}|Bundle")), kind="collection",
                       recorded=recorded)


def bundle_json(built: list[Built], *, bundle_id: str, kind: str, recorded: dt.datetime) -> dict[str, Any]:
    """The Bundle of ``built`` as JSON (validated by the R4B model), each resource claiming the profiles it passes."""
    bundle = Bundle(
        id=bundle_id,
        identifier={"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{bundle_id}"},
        type=kind,
        timestamp=recorded.isoformat(timespec="seconds"),
        entry=[{"fullUrl": b.full_url, "resource": b.resource} for b in built],
    )
    data = bundle.model_dump(mode="json", exclude_none=True)
    for entry in data["entry"]:
        claim_profiles(entry["resource"])  # meta.profile: the US Core / eCR profiles it passes our checks of
    return data


def build_resources(record: CompactRecord, *, run_id: str, source_name: str, source_sha256: str,
                    document_date: str | None, recorded: dt.datetime) -> list[Built]:
    """Every resource of the record, the run's one Provenance last (build_bundle's arguments and errors)."""
    if not run_id or not run_id.strip():
        raise ValueError("run_id must not be empty")
    _check_asserted(record)
    document = parse_date(document_date) if document_date and document_date.strip() else None
    if document_date and document_date.strip() and document is None:
        raise ValueError(f"document_date is not a date: {document_date!r}")

    ctx = BuildContext(run_id=run_id, document_date=document)
    built: list[Built] = [build_patient(record.patient, ctx)]
    organization = build_organization(record.encounter, ctx)
    encounter = build_encounter(record.encounter, ctx, organization)
    built += [b for b in (organization, encounter) if b is not None]
    if encounter is not None:
        ctx.encounter_date = parse_date(record.encounter.date)

    codes: CodeIndex = {}
    for i, condition in enumerate(record.conditions):
        built.append(build_condition(condition, i, ctx))
        _index(codes, built[-1], [("snomed", condition.snomed), ("icd10", condition.icd10)])
    for i, lab in enumerate(record.labs):
        built.append(build_lab(lab, i, ctx))
        _index(codes, built[-1], [("loinc", lab.loinc), ("snomed", lab.result_code)])
    built += build_vitals(record.vitals, ctx)
    for i, med in enumerate(record.meds):
        built.append(build_medication_event(med, i, ctx) or build_medication(med, i, ctx))
        _index(codes, built[-1], [("rxnorm", med.rxnorm)])
    for i, immunization in enumerate(record.immunizations):
        built.append(build_immunization(immunization, i, ctx))
        _index(codes, built[-1], [("cvx", immunization.cvx)])
    built += build_social(record.social, ctx)
    built += [build_reportable(item, i, ctx, codes) for i, item in enumerate(record.reportable)]
    built += build_act_resources(record, ctx, built)
    link_diagnoses(encounter, built)

    return built + [build_run_provenance(built, ctx, source_name=source_name, source_sha256=source_sha256,
                                         recorded=recorded)]
