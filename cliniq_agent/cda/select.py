"""Absolute rule XPaths (``//cda:observation[...]``) evaluated over a per-document element index.

libxml2 answers ``//cda:observation[pred]`` by walking every node of the document; with some thirty entry
rules that is thirty walks of ~2,000 nodes per eICR. The same expression with ``//cda:observation``
replaced by ``$cda_observation`` — a variable bound to the document's observations, listed once in
document order — filters only those elements and returns the same nodes in the same order.
"""

from __future__ import annotations

import threading

import regex
from lxml import etree

from cliniq_agent.cda.elements import Element
from cliniq_agent.core.xmlsafe import NSMAP

# `//prefix:name` that starts an absolute path: not after a step (`a//b`), a name, `]`, `)`, `.` or `*`.
_ABSOLUTE_STEP = regex.compile(r"(?<![\w\]\).*/@:-])//(?P<prefix>[A-Za-z][\w-]*):(?P<local>[A-Za-z_][\w.-]*)"
                               r"(?![\w.(-]|::)")
_STRING_LITERAL = regex.compile(r"'[^']*'|\"[^\"]*\"")

_local = threading.local()


class _Indexed:
    """A compiled rewritten XPath and the (variable, Clark tag) pairs it needs bound."""

    __slots__ = ("xpath", "tags")

    def __init__(self, xpath: etree.XPath, tags: tuple[tuple[str, str], ...]) -> None:
        self.xpath, self.tags = xpath, tags


def _rewrite(expr: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``expr`` with each absolute ``//prefix:name`` step (outside string literals) made a variable."""
    tags: dict[str, str] = {}

    def variable(match: regex.Match) -> str:
        prefix, local = match["prefix"], match["local"]
        namespace = NSMAP.get(prefix)
        if namespace is None:
            return match[0]
        name = f"{prefix}_{local}"
        tags[name] = f"{{{namespace}}}{local}"
        return f"${name}"

    out, cursor = [], 0
    for literal in _STRING_LITERAL.finditer(expr):
        out.append(_ABSOLUTE_STEP.sub(variable, expr[cursor:literal.start()]))
        out.append(literal[0])
        cursor = literal.end()
    out.append(_ABSOLUTE_STEP.sub(variable, expr[cursor:]))
    return "".join(out), tuple(tags.items())


def _compiled(expr: str) -> _Indexed:
    """Per-thread cache (lxml XPath evaluators are not shared across threads)."""
    cache: dict[str, _Indexed] | None = getattr(_local, "indexed", None)
    if cache is None:
        cache = _local.indexed = {}
    found = cache.get(expr)
    if found is None:
        rewritten, tags = _rewrite(expr)
        found = cache[expr] = _Indexed(etree.XPath(rewritten, namespaces=NSMAP), tags)
    return found


class DocumentSelector:
    """Evaluates absolute XPaths on one document, listing each element name it needs once."""

    def __init__(self, root: Element) -> None:
        self._root = root
        self._top = root.getroottree().getroot()  # `//` means the whole document, whatever the context
        self._by_tag: dict[str, list[Element]] = {}

    def __call__(self, expr: str) -> list:
        indexed = _compiled(expr)
        bound = {name: self._elements(tag) for name, tag in indexed.tags}
        return indexed.xpath(self._root, **bound)

    def _elements(self, tag: str) -> list[Element]:
        found = self._by_tag.get(tag)
        if found is None:
            found = self._by_tag[tag] = list(self._top.iter(tag))
        return found
