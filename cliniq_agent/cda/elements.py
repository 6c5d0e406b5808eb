"""Small, namespace-aware helpers over lxml CDA elements (children, attributes, times, locators).

Everything here works on Clark names (``{urn:hl7-org:v3}code``), so documents that use a prefix
(``<cda:code>``) and documents that use the default namespace behave the same.
"""

from __future__ import annotations

import copy
from datetime import date

import regex
from lxml import etree

from cliniq_agent.core.dates import iso_date, iso_datetime
from cliniq_agent.core.xmlsafe import CDA_NS, SDTC_NS, XSI_NS

__all__ = ["iso_date", "iso_datetime"]  # HL7 TS -> ISO 8601 lives in core/dates.py (the one date parser)

CDA = f"{{{CDA_NS}}}"
XSI_TYPE = f"{{{XSI_NS}}}type"
SDTC_VALUE_SET = f"{{{SDTC_NS}}}valueSet"
_PREFIX_FOR_NS = {CDA_NS: "cda", SDTC_NS: "sdtc"}

_WS = regex.compile(r"\s+")

Element = etree._Element


def local_name(el: Element) -> str:
    tag = el.tag
    if tag.__class__ is not str:  # comments and processing instructions (the hottest helper of the parse)
        return ""
    return tag[tag.find("}") + 1:]


def child(el: Element | None, name: str) -> Element | None:
    """First CDA child called ``name`` (or None). ``iterchildren`` by tag: the same element as ``find``,
    without ElementPath's parsing of the path on every call (the most called helper of the parse)."""
    return None if el is None else next(el.iterchildren(CDA + name), None)


def children(el: Element | None, name: str) -> list[Element]:
    return [] if el is None else list(el.iterchildren(CDA + name))


def first_children(el: Element) -> dict[object, Element]:
    """{Clark tag: ``el``'s first child with that tag}, from one scan of its children: what ``child`` gives for
    every name at once. An extractor asks a result observation for up to nine of its children (code, value,
    statusCode twice, the first steps of its status and specimen paths …); one ``iterchildren`` call costs
    about what reading the tags of a whole entry's children does."""
    return {sub.tag: sub for sub in reversed(el)}  # reversed: the first child of a tag is the one kept


def attr(el: Element | None, name: str) -> str | None:
    """Attribute value, stripped; empty strings count as absent."""
    if el is None:
        return None
    value = el.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def normalize_space(text: str | None) -> str | None:
    """Runs of whitespace made one space, ends trimmed; None when nothing is left."""
    if text is None:
        return None
    if "\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text:
        text = _WS.sub(" ", text).strip()  # str.split() would also split at these four separators; \s does not
    else:
        text = " ".join(text.split())  # the same result as the regex, several times faster
    return text or None


def direct_text(el: Element | None) -> str | None:
    """Text of ``el`` without the text of any <reference> child (ST/ED/originalText content)."""
    if el is None:
        return None
    parts: list[str] = [el.text or ""]
    for sub in el:
        if local_name(sub) not in ("reference", ""):  # "": an unexpanded entity (recover mode), never text
            parts.append("".join(sub.itertext()))
        parts.append(sub.tail or "")
    return normalize_space("".join(parts))


def reference_id(el: Element | None) -> str | None:
    """The narrative ID a <reference value="#id"/> child points to (without '#')."""
    ref = child(el, "reference")
    value = attr(ref, "value")
    if value is None:
        return None
    return value[1:] if value.startswith("#") else value


def is_true(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "true"


def xsi_type(el: Element) -> str | None:
    """``xsi:type`` without any prefix, upper-cased (``cda:PQ`` -> ``PQ``)."""
    value = el.get(XSI_TYPE)
    if not value:
        return None
    return value.split(":")[-1].strip().upper() or None


def time_bounds(el: Element | None) -> tuple[str | None, str | None]:
    """(start, end) ISO strings of an effectiveTime / time element: @value, or low / high."""
    if el is None:
        return None, None
    value = attr(el, "value")
    if value:
        stamp = iso_datetime(value)
        return stamp, None
    low = iso_datetime(attr(child(el, "low"), "value"))
    high = iso_datetime(attr(child(el, "high"), "value"))
    if low is None and high is None:
        center = iso_datetime(attr(child(el, "center"), "value"))
        return center, None
    return low, high


def effective_start(el: Element | None) -> str | None:
    """Start of the first effectiveTime of an act (medications may carry several)."""
    return time_bounds(child(el, "effectiveTime"))[0]


# ------------------------------------------------------------------ locators

_CDA_CLARK = f"{{{CDA_NS}}}"
_SDTC_CLARK = f"{{{SDTC_NS}}}"


class Locator:
    """Absolute XPath of an element with ``cda:`` / ``sdtc:`` prefixes; memoised per document.

    Elements of the CDA and SDTC namespaces (all of an eICR's, as a rule) take lxml's own structural path
    (``getelementpath``: Clark names, ``[n]`` among same-name siblings when there are several), its names
    given their prefix; any other element is located step by step, a parent's element children getting their
    steps in one pass. Both give the same string."""

    def __init__(self) -> None:
        self._memo: dict[Element, str] = {}
        self._names: dict[str, str] = {}  # Clark tag -> step name, for this document
        self._tree: etree._ElementTree | None = None  # the document (of the first element located) and its
        self._top: str | None = None  # root's step name: read once, not for every element

    def __call__(self, el: Element) -> str:
        found = self._memo.get(el)
        if found is not None:
            return found
        path = self._structural(el) if el.tag.__class__ is str else None
        if path is not None:
            self._memo[el] = path
            return path
        parent = el.getparent()
        if parent is None:
            path = f"/{self._step(el, None)}"
        elif el.tag.__class__ is str:
            self._fill(parent, self(parent))
            return self._memo[el]
        else:  # a comment or processing instruction (never an entry): its own sibling scan
            path = f"{self(parent)}/{self._step(el, parent)}"
        self._memo[el] = path
        return path

    def _structural(self, el: Element) -> str | None:
        """The path from lxml's getelementpath when every step is a CDA or SDTC element, else None."""
        tree = self._tree
        if tree is None:  # one Locator, one document (a ParseContext's): getelementpath refuses any other element
            tree = self._tree = el.getroottree()
            top = tree.getroot()
            self._top = None if top is None else (self._names.get(top.tag) or self._name(top))
        name = self._top
        if name is None or el.getparent() is None:
            return None
        if not name.startswith(("cda:", "sdtc:")):
            return None
        relative = tree.getelementpath(el).replace(_CDA_CLARK, "cda:").replace(_SDTC_CLARK, "sdtc:")
        slashed = "/" + relative
        if "{" in relative or slashed.count("/cda:") + slashed.count("/sdtc:") != relative.count("/") + 1:
            return None
        return f"/{name}{slashed}"

    def _fill(self, parent: Element, base: str) -> None:
        """Memoise the path of every element child of ``parent`` (whose path is ``base``)."""
        kids = [kid for kid in parent if kid.tag.__class__ is str]
        counts: dict[str, int] = {}
        for kid in kids:
            counts[kid.tag] = counts.get(kid.tag, 0) + 1
        seen: dict[str, int] = {}
        memo = self._memo
        for kid in kids:
            tag = kid.tag
            name = self._names.get(tag) or self._name(kid)
            if counts[tag] == 1:
                memo[kid] = f"{base}/{name}"
            else:
                seen[tag] = position = seen.get(tag, 0) + 1
                memo[kid] = f"{base}/{name}[{position}]"

    def _name(self, el: Element) -> str:
        qname = etree.QName(el)
        prefix = _PREFIX_FOR_NS.get(qname.namespace or "")
        if prefix:
            name = f"{prefix}:{qname.localname}"
        elif qname.namespace:
            name = f"*[local-name()='{qname.localname}' and namespace-uri()='{qname.namespace}']"
        else:
            name = f"*[local-name()='{qname.localname}']"
        self._names[el.tag] = name
        return name

    def _step(self, el: Element, parent: Element | None) -> str:
        name = self._name(el)
        if parent is None:
            return name
        tag = el.tag
        same = list(parent.iterchildren(tag)) if tag.__class__ is str else [sib for sib in parent if sib.tag == tag]
        if len(same) == 1:
            return name
        return f"{name}[{same.index(el) + 1}]"


def with_cda_namespace(root: Element) -> Element:
    """A copy of a namespace-less CDA tree with every element moved into urn:hl7-org:v3."""
    tree = copy.deepcopy(root)
    for el in tree.iter():
        if isinstance(el.tag, str) and not el.tag.startswith("{"):
            el.tag = CDA + el.tag
    return tree
