"""Relative navigation XPaths (kb/cda/navigation.toml, trigger code paths) with the cheap answers taken first.

An lxml XPath call costs several microseconds of set-up whatever it finds, and an eICR asks a hundred of them
(each lab its organizer, status and specimen). Two shapes are answered without libxml2, with the same result:

* ``ancestor::cda:name[1]`` — the nearest such ancestor: ``iterancestors`` by tag, nearest first.
* a union of child paths (``cda:a[…]/cda:b/…``) — empty when, for every branch, the element has no ``a``
  child with a ``b`` child: predicates and later steps only narrow. Otherwise libxml2 answers as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import regex
from lxml import etree

from cliniq_agent.cda.elements import CDA, Element
from cliniq_agent.core.xmlsafe import NSMAP

_NEAREST_ANCESTOR = regex.compile(r"ancestor::cda:(?P<name>[A-Za-z_][\w.-]*)\[1\]")
_CHILD_STEP = regex.compile(r"cda:(?P<name>[A-Za-z_][\w.-]*)(?:\[.*\])?", regex.DOTALL)

Navigation = Callable[[Element], list]

_local = threading.local()


def navigation(expr: str) -> Navigation:
    """The evaluator of ``expr`` relative to an element (per-thread cache: lxml XPath evaluators are not shared
    across threads)."""
    cache: dict[str, Navigation] | None = getattr(_local, "navigations", None)
    if cache is None:
        cache = _local.navigations = {}
    found = cache.get(expr)
    if found is None:
        found = cache[expr] = _build(expr.strip())
    return found


def _build(expr: str) -> Navigation:
    xpath = etree.XPath(expr, namespaces=NSMAP)
    nearest = _NEAREST_ANCESTOR.fullmatch(expr)
    if nearest is not None:
        tag = CDA + nearest["name"]

        def ancestor(el: Element) -> list:
            found = next(el.iterancestors(tag), None)
            return [] if found is None else [found]
        return ancestor
    chains = _child_chains(expr)
    if chains is None:
        return xpath

    def guarded(el: Element) -> list:
        for first, second in chains:
            for sub in el.iterchildren(first):
                if second is None or next(sub.iterchildren(second), None) is not None:
                    return xpath(el)
        return []
    return guarded


def child_starts(expr: str) -> frozenset[str] | None:
    """The Clark names the union branches of a child-step path start with (a path selects nothing from an
    element that has no child of those names), or None for another shape. Per-thread cache by expression."""
    cache: dict[str, frozenset[str] | None] | None = getattr(_local, "starts", None)
    if cache is None:
        cache = _local.starts = {}
    try:
        return cache[expr]
    except KeyError:
        chains = _child_chains(expr.strip())
        found = cache[expr] = None if chains is None else frozenset(first for first, _ in chains)
        return found


def _child_chains(expr: str) -> list[tuple[str, str | None]] | None:
    """(first, second) Clark names of each union branch's first two child steps; None when a branch has another
    shape (an axis, ``..``, ``//``, an attribute, a wildcard, a function), which this guard does not read."""
    chains: list[tuple[str, str | None]] = []
    for branch in _split(expr, "|"):
        steps = _split(branch.strip(), "/")
        names = [_CHILD_STEP.fullmatch(step.strip()) for step in steps]
        if not steps or any(match is None for match in names):
            return None
        first = CDA + names[0]["name"]
        second = CDA + names[1]["name"] if len(names) > 1 else None
        chains.append((first, second))
    return chains or None


def _split(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside predicates and string literals."""
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts

