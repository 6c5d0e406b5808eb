"""A CDA document as the review page shows it: header blocks and sections, each section's narrative
rendered readably (the same rendering the text tiers read, so narrative evidence spans apply to it) and
its coded entries listed under it, each with its raw XML one click away.

Evidence of a coded entry carries the entry's XPath (``cda:`` prefixes, positional steps) rather than a
character span; the stored document is parsed again with the hardened parser and every element's XPath
is computed with the same ``Locator`` the CDA stage used, so the two always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import regex
from lxml import etree

from cliniq_agent.cda.narrative import render_lines
from cliniq_agent.cda.elements import CDA, Element, Locator, attr, child, children, local_name, normalize_space, with_cda_namespace
from cliniq_agent.core.errors import InputError
from cliniq_agent.core.xmlsafe import parse_xml

_DECLARATION = regex.compile(r"^\s*<\?xml[^>]*\?>")
_RAW_LIMIT = 40_000  # characters of raw XML shown per block; the rest is cut with a note
_LABEL_TAGS = ("code", "value", "translation")
_HEADER_NAMES = {"recordTarget": "patient (recordTarget)", "componentOf": "encounter (componentOf)",
                 "author": "author", "custodian": "custodian", "documentationOf": "documentationOf",
                 "participant": "participant", "informationRecipient": "information recipient"}


@dataclass
class Block:
    """A coded entry (or a header element) that evidence points at."""

    locator: str
    label: str
    raw_xml: str
    place: str = ""                                          # "Problems › entry 2", "header › patient …"
    keys: list[str] = field(default_factory=list)          # highlight keys of the evidence resting on it
    css: list[str] = field(default_factory=list)           # the tier class of each piece of evidence


@dataclass
class SectionView:
    locator: str
    title: str
    kind: str | None
    code: str | None
    narrative: str                                           # "\n"-joined readable lines
    entries: list[Block] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)           # evidence naming the whole section (no span found)
    css: list[str] = field(default_factory=list)


@dataclass
class CdaView:
    header: list[Block]
    sections: list[SectionView]

    def block_for(self, locator: str) -> Block | None:
        """The entry or header block whose element is ``locator`` or contains it."""
        for block in [*self.header, *(entry for section in self.sections for entry in section.entries)]:
            if locator == block.locator or locator.startswith(block.locator + "/"):
                return block
        return None

    def section_at(self, locator: str) -> SectionView | None:
        return next((section for section in self.sections if section.locator == locator), None)


def parse_stored_cda(text: str, *, name: str, recover: bool = False) -> Element:
    """The stored XML text parsed as the engine parsed it (the declaration's encoding no longer applies)."""
    root = parse_xml(_DECLARATION.sub("", text, count=1).encode("utf-8"), name=name, recover=recover)
    return with_cda_namespace(root) if etree.QName(root).namespace is None else root


def build_cda_view(text: str, *, name: str, recover: bool = False,
                   kinds: dict[str, str | None] | None = None) -> CdaView | None:
    """Header blocks and sections of the stored document; None when it no longer parses. ``kinds``: the
    section kind the CDA stage gave each section XPath (from the trace), shown with the title."""
    try:
        root = parse_stored_cda(text, name=name, recover=recover)
    except InputError:
        return None
    locator = Locator()
    header = [_block(el, locator, _HEADER_NAMES.get(local_name(el), local_name(el)))
              for el in root if isinstance(el.tag, str) and local_name(el) != "component"]
    for block in header:
        block.place = f"header › {block.label}"
    sections = []
    for section in root.iter(CDA + "section"):
        title = child(section, "title")
        kind = (kinds or {}).get(locator(section))
        sections.append(SectionView(
            locator=locator(section),
            title=(normalize_space(" ".join(title.itertext())) if title is not None else None)
            or (kind or "untitled section").replace("_", " ").capitalize(),
            kind=kind, code=attr(child(section, "code"), "code"),
            narrative="\n".join(render_lines(child(section, "text"))),
            entries=[_block(entry, locator) for entry in children(section, "entry")],
        ))
    for section in sections:
        for number, entry in enumerate(section.entries, 1):
            entry.place = f"{section.title} › entry {number}"
    return CdaView(header=header, sections=sections)


def _block(el: Element, locator: Locator, label: str | None = None) -> Block:
    raw = etree.tostring(el, encoding="unicode", pretty_print=True, with_tail=False)
    if len(raw) > _RAW_LIMIT:
        raw = raw[:_RAW_LIMIT] + f"\n… ({len(raw) - _RAW_LIMIT} more characters not shown)"
    return Block(locator=locator(el), label=label or _label(el), raw_xml=raw)


def _label(el: Element) -> str:
    """A readable name for an entry: the display names of its values, then of its codes (at most three)."""
    values, codes, bare = [], [], []
    for node in el.iter():
        name = local_name(node)
        if name not in _LABEL_TAGS:
            continue
        shown = attr(node, "displayName") or normalize_space(_original_text(node))
        code = attr(node, "code")
        text = f"{shown or ''}{f' ({code})' if code else ''}".strip()
        if text:
            (values if name == "value" and shown else codes if shown else bare).append(text)
    names = list(dict.fromkeys([*values, *codes] or bare))[:3]
    return " · ".join(names) or local_name(el)


def _original_text(node: Element) -> str | None:
    original = child(node, "originalText")
    return "".join(original.itertext()) if original is not None else None
