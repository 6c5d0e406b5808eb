"""Social-history Observations: pregnancy status (with estimated delivery date), travel, occupation.

Codes follow the eCR FHIR IG profiles (us-ph-pregnancy-status-observation, us-ph-travel-history) and the ODH
past-or-present-job observation; see kb/fhir/fixed_codes.tsv for each code's source.
"""

from __future__ import annotations

from fhir.resources.R4B.observation import Observation as FhirObservation

from cliniq_agent.fhir.elements import (
    JSON, BuildContext, Built, fixed_coding, fixed_concept, observation, put_date, text_or,
)
from cliniq_agent.core.schema import Social, Travel


def _observation(ctx: BuildContext, identity: str, code_key: str, text: str | None = None) -> tuple[JSON, str]:
    return observation(ctx, identity, "cat_social_history", fixed_concept(code_key, text))


def build_pregnancy(social: Social, ctx: BuildContext) -> Built | None:
    due = text_or(social.pregnancy_due)
    if social.pregnant is None and due is None:
        return None
    data, full_url = _observation(ctx, "social:pregnancy", "pregnancy_status")
    if social.pregnant is None:
        data["dataAbsentReason"] = {"coding": [fixed_coding("absent_unknown")]}
    else:
        data["valueCodeableConcept"] = fixed_concept("pregnant" if social.pregnant else "not_pregnant")
    fallback = ctx.clinical_date()
    if fallback is not None:
        data["effectiveDateTime"] = fallback.value  # the status is asserted as of this visit / document
    if due is not None:
        component: JSON = {"code": fixed_concept("delivery_date_estimated")}
        put_date(component, "valueDateTime", due)
        if "valueDateTime" not in component:
            component.pop("_valueDateTime", None)
            component["valueString"] = due
        data["component"] = [component]
    return Built(FhirObservation.model_validate(data), full_url, list(social.evidence))


def build_travel(travel: Travel, index: int, ctx: BuildContext) -> Built | None:
    place = text_or(travel.place)
    if place is None and not (text_or(travel.start) or text_or(travel.end)):
        return None
    data, full_url = _observation(ctx, f"social:travel:{index}:{place}", "travel", "Travel history")
    period: JSON = {}
    put_date(period, "start", travel.start)
    put_date(period, "end", travel.end)
    if period:
        data["effectivePeriod"] = period
    data["component"] = [{
        "code": fixed_concept("travel_location"),
        **({"valueCodeableConcept": {"text": place}} if place else
           {"dataAbsentReason": {"coding": [fixed_coding("absent_unknown")]}}),
    }]
    return Built(FhirObservation.model_validate(data), full_url, list(travel.evidence))


def build_occupation(social: Social, ctx: BuildContext) -> Built | None:
    occupation = text_or(social.occupation)
    if occupation is None:
        return None
    data, full_url = _observation(ctx, "social:occupation", "occupation_history")
    data["valueCodeableConcept"] = {"text": occupation}
    return Built(FhirObservation.model_validate(data), full_url, list(social.evidence))


def build_social(social: Social, ctx: BuildContext) -> list[Built]:
    built = [build_pregnancy(social, ctx)]
    built += [build_travel(travel, i, ctx) for i, travel in enumerate(social.travel)]
    built.append(build_occupation(social, ctx))
    return [b for b in built if b is not None]
