"""Classify every <section> by the tiered rules of kb/cda/sections.toml and render its narrative."""

from __future__ import annotations

from cliniq_agent.cda.doc_state import ParseContext, SectionRef
from cliniq_agent.cda.rules import CdaKb, SectionRule
from cliniq_agent.cda.models import SectionInfo
from cliniq_agent.cda.narrative import render_lines
from cliniq_agent.cda.elements import CDA, Element, attr, child, children, normalize_space


def section_title(section: Element) -> str | None:
    title = child(section, "title")
    return normalize_space(" ".join(title.itertext())) if title is not None else None


def classify(section: Element, kb: CdaKb) -> tuple[SectionRule | None, int | None, str | None]:
    """(rule, tier, conflict note). Tier 1 templateId, tier 2 section code, tier 3 title keyword."""
    template_ids = [tid for tid in (attr(t, "root") for t in children(section, "templateId")) if tid]
    code = attr(child(section, "code"), "code")
    by_template = next((kb.section_by_template[t] for t in template_ids if t in kb.section_by_template), None)
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
    title = (section_title(section) or "").lower()
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
        rule, tier, conflict = classify(section, ctx.kb)
        if conflict:
            ctx.note(conflict, section)
        title = section_title(section)
        code = attr(child(section, "code"), "code")
        if rule is None:
            ctx.note(f"section not classified (code {code!r}, title {title!r})", section)
        lines = render_lines(child(section, "text"))
        info = SectionInfo(
            kind=rule.kind if rule else None,
            tier=tier,
            rule=rule.conformance if rule else None,
            template_ids=[tid for tid in (attr(t, "root") for t in children(section, "templateId")) if tid],
            code=code,
            title=title,
            xpath=ctx.locator(section),
            text="\n".join(lines),
            coded_entry_count=len(children(section, "entry")),
            null_flavor=attr(section, "nullFlavor"),
            text_tier=bool(rule and rule.text_tier),
        )
        infos.append(info)
        ctx.sections[section] = SectionRef(element=section, kind=info.kind, rule=rule, index=index)
    return infos
