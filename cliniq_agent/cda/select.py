"""Absolute rule XPaths (``//cda:observation[...]``) evaluated over a per-document element index.

libxml2 answers ``//cda:observation[pred]`` by walking every node of the document; with some thirty entry
rules that is thirty walks of ~2,000 nodes per eICR. The same expression with ``//cda:observation``
replaced by ``$cda_observation`` — a variable bound to the document's observations, listed once in
document order — filters only those elements and returns the same nodes in the same order.

Most rules select by template (``//cda:observation[cda:templateId/@root='…' or …]``, or
``//cda:templateId[@root='…' or …]``), a few by code (``cda:code/@code='…'``). For those the variable is bound to
the elements that carry one of the roots or codes (found through per-document maps of templateId roots and code
values), still in document order; the predicate stays in the expression and libxml2 checks it again, so the
result is the same nodes — out of a handful of candidates instead of every observation.
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
# `//cda:name[` + a disjunction of keys + `]`: `cda:templateId/@root='…'` (the element carries the template),
# `cda:code/@code='…'` (it has a code child with that @code) or, on templateId itself, `@root='…'`.
_TERM = r"(?:cda:templateId/@root|cda:code/@code|@root)='[^']*'"
_BY_TEMPLATE = regex.compile(r"(?<![\w\]\).*/@:-])//cda:(?P<local>[A-Za-z_][\w.-]*)"
                             rf"\[(?P<pred>{_TERM}(?: or {_TERM})*)\]")
_KEY_TERM = regex.compile(r"(?P<via>cda:templateId/@root|cda:code/@code|@root)='(?P<value>[^']*)'")
_KIND = {"cda:templateId/@root": "template", "cda:code/@code": "code", "@root": "own"}
_TEMPLATE_ID = f"{{{NSMAP['cda']}}}templateId"
_CODE = f"{{{NSMAP['cda']}}}code"
# A rewritten expression that is nothing but one narrowed variable and its predicate.
_BY_TEMPLATE_VARIABLE = regex.compile(rf"\$(?P<name>cda_[A-Za-z_][\w.-]*__\d+)\[{_TERM}(?: or {_TERM})*\]")

_local = threading.local()


# A key an element is narrowed by: ("template", root) it carries, ("own", root) of a templateId itself, or
# ("code", value) of a code child.
Key = tuple[str, str]
# A variable to bind: (name, Clark tag, the keys that narrow it or None for every element of the tag).
Binding = tuple[str, str, frozenset[Key] | None]


class _Indexed:
    """A compiled rewritten XPath and the variables it needs bound.

    ``shape`` says when the template index alone answers: "whole" — the expression is one template-narrowed step
    (``//cda:observation[cda:templateId/@root='…']``), whose candidates are exactly its result; "first" — a single
    path (no union) that starts with one, so no candidates means no result. libxml2 runs only when it must."""

    __slots__ = ("xpath", "tags", "shape")

    def __init__(self, xpath: etree.XPath, tags: tuple[Binding, ...], shape: str | None) -> None:
        self.xpath, self.tags, self.shape = xpath, tags, shape


def _by_template(expr: str) -> tuple[str, list[Binding]]:
    """``expr`` with each absolute step filtered by template roots or codes only made a narrowed variable."""
    bindings: list[Binding] = []

    def variable(match: regex.Match) -> str:
        local = match["local"]
        keys = frozenset((_KIND[term["via"]], term["value"]) for term in _KEY_TERM.finditer(match["pred"]))
        if any((kind == "own") != (local == "templateId") for kind, _ in keys):  # a shape not understood here
            return match[0]
        name = f"cda_{local}__{len(bindings)}"
        bindings.append((name, f"{{{NSMAP['cda']}}}{local}", keys))
        return f"${name}[{match['pred']}]"

    return _BY_TEMPLATE.sub(variable, expr), bindings


def _rewrite(expr: str) -> tuple[str, tuple[Binding, ...]]:
    """``expr`` with each absolute ``//prefix:name`` step (outside string literals) made a variable."""
    expr, narrowed = _by_template(expr)
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
    return "".join(out), (*narrowed, *((name, tag, None) for name, tag in tags.items()))


def _compiled(expr: str) -> _Indexed:
    """Per-thread cache (lxml XPath evaluators are not shared across threads)."""
    cache: dict[str, _Indexed] | None = getattr(_local, "indexed", None)
    if cache is None:
        cache = _local.indexed = {}
    found = cache.get(expr)
    if found is None:
        rewritten, tags = _rewrite(expr)
        found = cache[expr] = _Indexed(etree.XPath(rewritten, namespaces=NSMAP), tags, _shape(rewritten, tags))
        for _, _, keys in tags:
            _wanted_keys().update(keys or ())
    return found


def _shape(rewritten: str, tags: tuple[Binding, ...]) -> str | None:
    """"whole", "first" or None (see ``_Indexed``) for a rewritten expression whose first binding is narrowed."""
    if not tags or tags[0][2] is None or not rewritten.startswith(f"${tags[0][0]}["):
        return None
    match = _BY_TEMPLATE_VARIABLE.fullmatch(rewritten)
    if match is not None and match["name"] == tags[0][0]:
        return "whole"
    return "first" if "|" not in _STRING_LITERAL.sub("", rewritten) else None


class DocumentSelector:
    """Evaluates absolute XPaths on one document, listing each element name it needs once.

    The element names every rule seen so far in this thread needs are listed in one walk of the document
    (not one walk per name); a template-narrowed variable is its candidates put in document order by their
    position in that list, not a scan of the whole list."""

    def __init__(self, root: Element) -> None:
        self._root = root
        self._top = root.getroottree().getroot()  # `//` means the whole document, whatever the context
        self._by_tag: dict[str, list[Element]] | None = None
        self._positions: dict[str, dict[Element, int]] = {}  # tag -> element -> document-order position
        self._keyed: dict[Key, list[Element]] = {}  # key -> the elements it names (see Key)
        self._indexed: frozenset[Key] = frozenset()  # the keys _keyed lists (the thread's rules' keys)

    def __call__(self, expr: str) -> list:
        indexed = _compiled(expr)
        if indexed.shape is not None:
            name, tag, keys = indexed.tags[0]
            candidates = self._narrowed(tag, keys)  # type: ignore[arg-type]  # a shape implies keys
            if indexed.shape == "whole" or not candidates:
                return candidates
        bound = {name: self._elements(tag) if keys is None else self._narrowed(tag, keys)
                 for name, tag, keys in indexed.tags}
        return indexed.xpath(self._root, **bound)

    def _narrowed(self, tag: str, keys: frozenset[Key]) -> list[Element]:
        """The ``tag`` elements (document order) that one of ``keys`` names."""
        if not keys <= self._indexed:
            self._index()
        keyed = self._keyed
        candidates = {el for key in keys for el in keyed.get(key, ()) if el.tag == tag}
        if not candidates:
            return []
        positions = self._positions.get(tag)
        if positions is None:
            positions = self._positions[tag] = {el: index for index, el in enumerate(self._elements(tag))}
        return sorted(candidates, key=positions.__getitem__)

    def _index(self) -> None:
        """List the elements every key the thread's rules use names (not every templateId root or code of the
        document: a few dozen roots of ~170 templateIds), in one scan of the templateIds and one of the codes."""
        wanted = self._indexed = frozenset(_wanted_keys())
        keyed: dict[Key, list[Element]] = {}
        self._keyed = keyed
        roots = {value for kind, value in wanted if kind != "code"}
        codes = {value for kind, value in wanted if kind == "code"}
        for template in self._elements(_TEMPLATE_ID) if roots else ():
            root = template.get("root")
            if root in roots:
                keyed.setdefault(("own", root), []).append(template)
                parent = template.getparent()
                if parent is not None:
                    keyed.setdefault(("template", root), []).append(parent)
        for code in self._elements(_CODE) if codes else ():
            value = code.get("code")
            if value in codes:
                parent = code.getparent()
                if parent is not None:
                    keyed.setdefault(("code", value), []).append(parent)

    def elements(self, tag: str) -> list[Element]:
        """Every ``tag`` (Clark) element of the document, in document order, from the per-document index: the
        same list as ``root.iter(tag)`` without another walk of the tree. Shared: do not change it."""
        return self._elements(tag)

    def _elements(self, tag: str) -> list[Element]:
        by_tag = self._by_tag
        if by_tag is None:  # first use: every name the thread's rules have needed, in one walk
            wanted = _wanted_tags()
            by_tag = self._by_tag = {name: [] for name in wanted}
            for el in self._top.iter(*wanted):
                by_tag[el.tag].append(el)
        found = by_tag.get(tag)
        if found is None:
            found = by_tag[tag] = list(self._top.iter(tag))
            _wanted_tags().add(tag)
        return found


def _wanted_keys() -> set[Key]:
    """Narrowing keys (template roots, codes) of the rules compiled in this thread."""
    wanted: set[Key] | None = getattr(_local, "wanted_keys", None)
    if wanted is None:
        wanted = _local.wanted_keys = set()
    return wanted


def _wanted_tags() -> set[str]:
    """Element names (Clark) the rules compiled in this thread bind (a handful: observation, act, section …)."""
    wanted: set[str] | None = getattr(_local, "wanted", None)
    if wanted is None:
        wanted = _local.wanted = {_TEMPLATE_ID}
    return wanted
