"""Coded elements (CD/CE with translations, originalText references) and observation values.

A CDA code is rarely just @code: the standard code may sit in a <translation>, the name may be
only in originalText, and originalText may only point (by #ID) into the section narrative.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from cliniq_agent.cda.doc_state import ParseContext
from cliniq_agent.cda.elements import (
    CDA,
    SDTC_VALUE_SET,
    Element,
    attr,
    child,
    direct_text,
    iso_datetime,
    reference_id,
    xsi_type,
)
from cliniq_agent.core.code_systems import by_oid, checked_systems
from cliniq_agent.core.schema import Code
from cliniq_agent.validate import normalize_code
from cliniq_agent.validate.codes import icd10_exists


class Coded(NamedTuple):
    """One coding as read (immutable). A named tuple rather than a frozen dataclass: built a hundred times an
    eICR, and a frozen dataclass pays an object.__setattr__ per field."""

    element: Element
    code: str | None
    system_oid: str | None
    system: str | None
    display: str | None
    original_text: str | None
    null_flavor: str | None
    value_set: str | None
    translations: tuple["Coded", ...]

    @property
    def name(self) -> str | None:
        """Human name: displayName, else originalText (resolved), else a translation's name."""
        if self.display or self.original_text:
            return self.display or self.original_text
        for tr in self.translations:
            if tr.name:
                return tr.name
        return None

    def codings(self) -> Iterator["Coded"]:
        yield self
        yield from self.translations

    def find(self, system: str) -> "Coded | None":
        """First coding (primary, then translations) in ``system`` that has a code."""
        if self.system == system and self.code:
            return self
        for coding in self.translations:
            if coding.system == system and coding.code:
                return coding
        return None

    def standard(self) -> "Coded | None":
        """The primary coding if it is in a standard system, else the first standard translation."""
        for coding in self.codings():
            if coding.code and coding.system in checked_systems():
                return coding
        return self if self.code else None


_TRANSLATION = f"{CDA}translation"
_ORIGINAL_TEXT = f"{CDA}originalText"


def _clean(value: str | None) -> str | None:
    """``attr``'s reading of a raw attribute value: stripped, empty as absent."""
    return (value.strip() or None) if value else None


def read_coded(el: Element, ctx: ParseContext, *, depth: int = 0) -> Coded:
    """The coding of ``el``, its <translation>s (two levels deep) and its originalText.

    Read once per parse: extractors meet the same code element again (every lab of an organizer reads the
    organizer's specimen code, the trigger pass re-reads the codes the entry extractors read, a parent's
    translations come back with it), a third of the reads of an eICR. A repeat returns the same immutable
    ``Coded`` and adds again the notes the first read added, so notes and their order are as if read anew.
    The memo is the parse's own (ParseContext.coded), gone with it."""
    key = (el, depth)
    memo = ctx.coded
    found = memo.get(key)
    if found is not None:
        if found[1]:
            ctx.notes.extend(found[1])
        return found[0]
    start = len(ctx.notes)
    coded = _read_coded(el, ctx, depth)
    memo[key] = (coded, tuple(ctx.notes[start:]))
    return coded


def _read_coded(el: Element, ctx: ParseContext, depth: int) -> Coded:
    """read_coded's first read of ``el``. The hottest reader of the parse (a hundred codes an eICR): attributes
    are read straight off the element and its children are scanned once for translations and the first
    originalText — what ``attr`` / ``children`` / ``child`` would give, without a call each."""
    get = el.get
    oid = _clean(get("codeSystem"))
    known = by_oid().get(oid) if oid else None  # the usual case; else the name, then urn:oid (system_short)
    system = known.key if known is not None else ctx.kb.system_short(oid, _clean(get("codeSystemName")))
    code = _clean(get("code"))
    null_flavor = _clean(get("nullFlavor"))
    if code and code.upper() in ctx.kb.null_flavor_codes:
        ctx.note(f"code {code!r} is a nullFlavor token, read as no code", el)
        null_flavor, code = null_flavor or code.upper(), None
    if code and system == "icd10who" and icd10_exists(normalize_code("icd10", code)):
        # US senders label ICD-10-CM codes with the WHO ICD-10 OID 2.16.840.1.113883.6.3 (HL7's own C-CDA examples
        # do, with CM-only codes such as M26.11); eICR IG value sets are ICD-10-CM: a code ICD-10-CM has is read as one
        ctx.note(f"code {code!r} under the WHO ICD-10 OID exists in ICD-10-CM: read as ICD-10-CM", el)
        system = "icd10"
    if code and system == "icd10":
        code = normalize_code("icd10", code)
    translations: tuple[Coded, ...] = ()
    text = None
    if len(el):
        found: list[Coded] = []
        text_el = None
        for sub in el:
            tag = sub.tag
            if tag == _TRANSLATION:
                if depth < 2:
                    found.append(read_coded(sub, ctx, depth=depth + 1))
            elif tag == _ORIGINAL_TEXT and text_el is None:
                text_el = sub
        translations = tuple(found)
        text = original_text(text_el, ctx)
    return Coded(
        element=el,
        code=code,
        system_oid=oid,
        system=system,
        display=_clean(get("displayName")),
        original_text=text,
        null_flavor=null_flavor,
        value_set=_clean(get(SDTC_VALUE_SET)),
        translations=translations,
    )


def codes_of(coded: Coded | None, ctx: ParseContext, *, held: tuple[tuple[str, str | None], ...] = ()) -> list[Code]:
    """Every code of ``coded`` (primary and <translation>s, nested too) as compact ``Code``s, except those the item
    already holds in its own code fields (``held``: (system key, code) pairs) and structural placeholders.

    Why: a document's alternative codes (CVX beside NDC, ICD-10-CM beside SNOMED CT, a lab's local code) belong in
    the same FHIR CodeableConcept; the system stays the table key, or ``urn:oid:<OID>`` for an unknown system."""
    if coded is None:
        return []
    skip = {(system, code) for system, code in held if code}
    found: list[Code] = []

    def walk(coding: Coded) -> None:
        key = (coding.system, coding.code)
        if coding.code and coding.system and key not in skip and not ctx.kb.is_artefact(*key):
            skip.add(key)
            found.append(Code(system=coding.system, code=coding.code, display=coding.display))
        for translation in coding.translations:
            walk(translation)

    walk(coded)
    return found


def differing_text(coded: Coded | None, name: str | None) -> str | None:
    """The coded element's originalText when the item's name is something else (its displayName): kept so the
    FHIR CodeableConcept.text can say what the clinician wrote."""
    text = coded.original_text.strip() if coded is not None and coded.original_text else None
    return text if text and text != (name or "").strip() else None


def original_text(el: Element | None, ctx: ParseContext) -> str | None:
    """Inline text of an originalText / text element, else the narrative its reference points to."""
    if el is None:
        return None
    text = direct_text(el)
    if text:
        return text
    ident = reference_id(el)
    if ident is None:
        return None
    resolved = ctx.narrative.resolve(ident)
    if resolved is None:
        ctx.note(f"reference #{ident} does not resolve to narrative text", el)
    return resolved


# ------------------------------------------------------------------ observation values

class ObsValue(NamedTuple):
    kind: str
    result: str | None = None  # display of the result as written
    value: str | None = None   # numeric value (PQ / INT / REAL)
    unit: str | None = None
    coded: Coded | None = None


_CODED = frozenset({"CD", "CE", "CV", "CO", "CS"})
_TEXT = frozenset({"ST", "ED", "SC"})
_NUMBER = frozenset({"INT", "REAL", "MO"})


def read_value(el: Element, ctx: ParseContext) -> ObsValue | None:
    """Render an observation <value> by its xsi:type; unknown types are noted, not guessed."""
    kind = xsi_type(el) or _infer_type(el)
    null = attr(el, "nullFlavor")
    if kind == "PQ":
        number, unit = attr(el, "value"), _unit(el)
        if number is None:
            return _null(kind, el, ctx, null)
        return ObsValue(kind, result=f"{number} {unit}" if unit else number, value=number, unit=unit)
    if kind in _NUMBER:
        number = attr(el, "value")
        return ObsValue(kind, result=number, value=number) if number else _null(kind, el, ctx, null)
    if kind in _CODED:
        coded = read_coded(el, ctx)
        result = coded.name or coded.code
        if result is None:
            return _null(kind, el, ctx, null)
        return ObsValue(kind, result=result, coded=coded)
    if kind in _TEXT:
        text = original_text(el, ctx)
        return ObsValue(kind, result=text) if text else _null(kind, el, ctx, null)
    if kind in ("IVL_PQ", "IVL_INT", "IVL_REAL"):
        text = _interval(el)
        return ObsValue(kind, result=text) if text else _null(kind, el, ctx, null)
    if kind.startswith("RTO"):
        text = _ratio(el)
        return ObsValue(kind, result=text) if text else _null(kind, el, ctx, null)
    if kind == "BL":
        flag = attr(el, "value")
        return ObsValue(kind, result=flag) if flag else _null(kind, el, ctx, null)
    if kind in ("TS", "IVL_TS"):
        stamp = iso_datetime(attr(el, "value")) or iso_datetime(attr(child(el, "low"), "value"))
        return ObsValue(kind, result=stamp) if stamp else _null(kind, el, ctx, null)
    ctx.note(f"unknown observation value type {kind!r}; result taken as text", el)
    text = original_text(el, ctx)
    return ObsValue(kind, result=text) if text else None


def _infer_type(el: Element) -> str:
    if el.get("unit") is not None and el.get("value") is not None:
        return "PQ"
    if el.get("code") is not None or el.get("nullFlavor") is not None and len(el):
        return "CD"
    if el.get("value") is not None:
        return "REAL"
    if child(el, "numerator") is not None:
        return "RTO"
    if child(el, "low") is not None or child(el, "high") is not None:
        return "IVL_PQ"
    return "ST"


def _null(kind: str, el: Element, ctx: ParseContext, null: str | None) -> None:
    if null:
        ctx.note(f"{kind} value has nullFlavor {null}", el)
    else:
        ctx.note(f"{kind} value is empty", el)
    return None


def _unit(el: Element | None) -> str | None:
    unit = attr(el, "unit")
    return None if unit is None or unit == "1" or unit.lower() == "null" else unit


def _quantity(el: Element | None) -> str | None:
    number = attr(el, "value")
    if number is None:
        return None
    unit = _unit(el)
    return f"{number} {unit}" if unit else number


def _interval(el: Element) -> str | None:
    low, high = child(el, "low"), child(el, "high")
    low_text, high_text = _quantity(low), _quantity(high)
    if low_text and high_text:
        return f"{attr(low, 'value')}-{high_text}" if _unit(low) == _unit(high) else f"{low_text}-{high_text}"
    if low_text:
        return f"{'>' if attr(low, 'inclusive') == 'false' else '>='}{low_text}"
    if high_text:
        return f"{'<' if attr(high, 'inclusive') == 'false' else '<='}{high_text}"
    return _quantity(child(el, "center"))


def _ratio(el: Element) -> str | None:
    numerator, denominator = child(el, "numerator"), child(el, "denominator")
    top, bottom = attr(numerator, "value"), attr(denominator, "value")
    if top is None or bottom is None:
        return None
    unit_top, unit_bottom = _unit(numerator), _unit(denominator)
    if unit_top or unit_bottom:
        return f"{_quantity(numerator)}/{_quantity(denominator)}"
    return f"{top}:{bottom}"
