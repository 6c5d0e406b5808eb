"""Authors, performers and responsible parties -> Practitioner items (one per person, all their roles).

Persons are told apart by NPI when the document gives one, else by name; the same clinician authoring
twenty entries is one practitioner with one piece of evidence per rule, not twenty; a later mention is read
only when it may fill a field the first lacked.
"""

from __future__ import annotations

from cliniq_agent.cda.act_rules import ActKb
from cliniq_agent.cda.doc_state import ParseContext
from cliniq_agent.cda.elements import Element, attr, child, children, normalize_space
from cliniq_agent.cda.header import one_line_address, person_name
from cliniq_agent.core.schema import Practitioner


def _npi(el: Element | None, akb: ActKb) -> str | None:
    for ident in children(el, "id"):
        if attr(ident, "root") in akb.npi_roots and attr(ident, "extension"):
            return attr(ident, "extension")
    return None


def _phone(el: Element) -> str | None:
    for telecom in children(el, "telecom"):
        value = attr(telecom, "value")
        if value and value.lower().startswith("tel:"):
            return value[4:].strip() or None
    return None


def _read(el: Element, name: str | None, npi: str | None, role: str, rule_id: str, ctx: ParseContext,
          akb: ActKb) -> Practitioner:
    organization = child(el, "representedOrganization")
    org_name = next((normalize_space(n.text) for n in children(organization, "name") if normalize_space(n.text)), None)
    return Practitioner(
        name=name, npi=npi, roles=[role], phone=_phone(el),
        address=next((line for line in map(one_line_address, children(el, "addr")) if line), None),
        organization=org_name, organization_npi=_npi(organization, akb),
        evidence=[ctx.evidence(el, rule_id, name)],
    )


def read_practitioners(ctx: ParseContext, akb: ActKb) -> list[Practitioner]:
    people: list[Practitioner] = []
    by_key: dict[str, Practitioner] = {}
    for rule in akb.people:
        for el in ctx.select(rule.xpath):
            role = rule.role
            if rule.role_from:
                role = akb.participation_role.get(attr(el.getparent(), rule.role_from) or "", role)
            name, npi = person_name(children(child(el, "assignedPerson"), "name")), _npi(el, akb)
            if name is None and npi is None:
                ctx.note("practitioner with no name and no NPI skipped", el)
                continue
            keys = [key for key in (npi and f"npi:{npi}", name and f"name:{name.casefold()}") if key]
            known = next((by_key[key] for key in keys if key in by_key), None)
            if known is not None and not (known.npi and npi and known.npi != npi):
                if role in known.roles and any(ev.rule == rule.id for ev in known.evidence) and not _adds_to(known, el):
                    continue  # the same person in the same part again (the author of every entry), nothing new
                _fold(known, _read(el, name, npi, role, rule.id, ctx, akb))
            else:  # a new person (or the same name with another NPI: two people)
                known = _read(el, name, npi, role, rule.id, ctx, akb)
                people.append(known)
            for key in keys:
                by_key.setdefault(key, known)
    return people


def _adds_to(known: Practitioner, el: Element) -> bool:
    """Whether ``el`` may fill a field ``known`` lacks (cheap test before a full reading)."""
    organization = child(el, "representedOrganization")
    return bool((known.phone is None and children(el, "telecom")) or (known.address is None and children(el, "addr"))
                or (organization is not None and (known.organization is None or known.organization_npi is None)))


def _fold(known: Practitioner, other: Practitioner) -> None:
    for role in other.roles:
        if role not in known.roles:
            known.roles.append(role)
    for name in ("name", "phone", "address", "organization", "organization_npi"):
        if getattr(known, name) is None and getattr(other, name) is not None:
            setattr(known, name, getattr(other, name))
    rules = {ev.rule for ev in known.evidence}
    known.evidence.extend(ev for ev in other.evidence if ev.rule not in rules)
