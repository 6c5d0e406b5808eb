"""What every act item takes from its entry: all its codings (primary and translations, every system), the
entry id, and the eICR trigger-code marker."""

from __future__ import annotations

from dataclasses import dataclass

from cliniq_agent.cda.codes import Coded
from cliniq_agent.cda.doc_state import ParseContext
from cliniq_agent.cda.elements import Element, attr, children
from cliniq_agent.core.schema import Code, EntryId
from cliniq_agent.core.xmlsafe import SDTC_NS

SDTC_VALUE_SET_VERSION = f"{{{SDTC_NS}}}valueSetVersion"


def act_codes(coded: Coded | None) -> list[Code]:
    """Every coding that has a code, primary first; a system without a known key keeps its OID (urn:oid:)."""
    if coded is None:
        return []
    found: list[Code] = []
    for coding in coded.codings():
        system = coding.system or (f"urn:oid:{coding.system_oid}" if coding.system_oid else None)
        if not coding.code or system is None:
            continue
        code = Code(system=system, code=coding.code, display=coding.display)
        if code not in found:
            found.append(code)
    return found


def entry_id(el: Element) -> EntryId | None:
    """The entry's first usable <id> (root, extension); None when it has none or only a nullFlavor."""
    for ident in children(el, "id"):
        root = attr(ident, "root")
        if root and not attr(ident, "nullFlavor"):
            return EntryId(root=root, extension=attr(ident, "extension"))
    return None


@dataclass(frozen=True)
class TriggerMark:
    value_set: str | None
    version: str | None


def trigger_mark(el: Element, coded: Coded | None, ctx: ParseContext) -> TriggerMark | None:
    """An eICR trigger: the entry carries a trigger-code template (kb/cda/triggers.toml), or one of its codes
    carries an RCTC sdtc:valueSet. The value set (and version) are kept when the document names them."""
    marked = next((c for c in (coded.codings() if coded else ()) if ctx.kb.is_rctc(c.value_set)), None)
    if marked is not None:
        return TriggerMark(marked.value_set, attr(marked.element, SDTC_VALUE_SET_VERSION))
    roots = {template.root for template in ctx.kb.trigger_templates}
    if any(attr(t, "root") in roots for t in children(el, "templateId")):
        return TriggerMark(None, None)
    return None
