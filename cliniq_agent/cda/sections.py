"""Classify every <section> by the tiered rules of kb/cda/sections.toml and render its narrative."""

from __future__ import annotations

from cliniq_agent.cda.doc_state import ParseContext, SectionRef
from cliniq_agent.cda.rules import CdaKb, SectionRule
from cliniq_agent.cda.models import SectionInfo
from cliniq_agent.cda.narrative import render_lines
from cliniq_agent.cda.elements import CDA, Element, attr, normalize_space


_TEMPLATE_ID, _CODE, _TITLE, _TEXT, _ENTRY = (f"{CDA}{name}" for name in ("templateId", "code", "title", "text", "entry"))


class _Parts:
    """What a section's classification and SectionInfo read from its children, found in one scan of them:
    its templateId roots, first code, title and text, and how many entries it has."""

    __slots__ = ("template_ids", "code", "title", "text", "entries")

    def __init__(self, section: Element) -> None:
        self.template_ids: list[str] = []
        code_el = title_el = text_el = None
        self.entries = 0
        for sub in section:
            tag = sub.tag
            if tag == _TEMPLATE_ID:
                root = attr(sub, "root")
                if root:
                    self.template_ids.append(root)
            elif tag == _ENTRY:
                self.entries += 1
            elif tag == _CODE:
                code_el = code_el if code_el is not None else sub
            elif tag == _TITLE:
                title_el = title_el if title_el is not None else sub
            elif tag == _TEXT:
                text_el = text_el if text_el is not None else sub
        self.code = attr(code_el, "code")
        self.title = normalize_space(" ".join(title_el.itertext())) if title_el is not None else None
        self.text = text_el


def classify(parts: _Parts, kb: CdaKb) -> tuple[SectionRule | None, int | None, str | None]:
    """(rule, tier, conflict note). Tier 1 templateId, tier 2 section code, tier 3 title keyword."""
    code = parts.code
    by_template = next((kb.section_by_template[t] for t in parts.template_ids if t in kb.section_by_template), None)
    by_code = kb.section_by_code.get(code) if code else None
    if by_template and by_code and by_template.kind != by_code.kind:
        conflict = (
            f"section templateId says {by_template.kind!r} but its code {code} says {by_code.kind!r}; "
            f"using the code"
        )
        return by_code, 2, conflict
    if by_template:
        return by_template, 1, None
    if by_code:
        return by_code, 2, None
    title = (parts.title or "").lower()
    best: tuple[int, SectionRule] | None = None
    for rule in kb.sections:
        for keyword in rule.title_keywords:
            if keyword in title and (best is None or len(keyword) > best[0]):
                best = (len(keyword), rule)
    if best:
        return best[1], 3, None
    return None, None, None


def read_sections(ctx: ParseContext) -> list[SectionInfo]:
    """SectionInfo for every section in document order; fills ctx.sections for entry lookup."""
    infos: list[SectionInfo] = []
    for index, section in enumerate(ctx.select.elements(CDA + "section")):
        parts = _Parts(section)
        rule, tier, conflict = classify(parts, ctx.kb)
        if conflict:
            ctx.note(conflict, section)
        title, code = parts.title, parts.code
        if rule is None:
            ctx.note(f"section not classified (code {code!r}, title {title!r})", section)
        lines = render_lines(parts.text)
        info = SectionInfo(
            kind=rule.kind if rule else None,
            tier=tier,
            rule=rule.conformance if rule else None,
            template_ids=parts.template_ids,
            code=code,
            title=title,
            xpath=ctx.locator(section),
            text="\n".join(lines),
            coded_entry_count=parts.entries,
            null_flavor=attr(section, "nullFlavor"),
            text_tier=bool(rule and rule.text_tier),
        )
        infos.append(info)
        ctx.sections[section] = SectionRef(element=section, kind=info.kind, rule=rule, index=index)
    return infos
