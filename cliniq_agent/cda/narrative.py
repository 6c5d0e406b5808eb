"""Section narrative (<text>) -> readable lines, and resolution of originalText/reference IDs.

Rendering follows the CDA narrative block like HTML: whitespace collapses, paragraphs / list items
/ captions / table rows start new lines, a table row becomes its cells joined by " | ", <br/>
breaks a line. Nested tables inside a cell come out as their own lines after the row.
"""

from __future__ import annotations

from cliniq_agent.cda.rules import compiled_xpath
from cliniq_agent.cda.elements import Element, local_name, normalize_space

_BLOCK = frozenset({"paragraph", "item", "caption", "footnote", "thead", "tbody", "tfoot", "list", "tr"})
_SKIP = frozenset({"colgroup", "col", "renderMultiMedia", "footnoteRef"})
_NESTED_BLOCKS = ("{*}table", "{*}list")  # in any namespace or none, as local_name() compares


def render_lines(el: Element | None, *, headers: bool = True) -> list[str]:
    """Readable lines of a narrative element (a section <text>, a cell, a referenced node).

    ``headers=False`` leaves out table header rows (thead, or rows of <th> only): wanted when the
    narrative is used as a value (the encounter reason), not when it is read as a table.
    """
    if el is None:
        return []
    if len(el) == 0:  # plain text: keep the writer's line breaks
        return [line for line in (normalize_space(part) for part in (el.text or "").splitlines()) if line]
    name = local_name(el)
    if name == "tr":
        return _row(el, headers)
    if name == "table":
        return _table(el, headers)
    writer = _Writer(headers)
    writer.children(el)
    return writer.finish()


def _flush(buffer: list[str], lines: list[str]) -> None:
    """The buffered text as one line (whitespace collapsed), if any is left."""
    text = normalize_space("".join(buffer))
    buffer.clear()
    if text:
        lines.append(text)


class _Writer:
    """Lines of a narrative subtree. Leaf children (most of a narrative: text runs, <content>, <br/>) are
    handled in their parent's loop rather than by a call each — the same lines either way."""

    def __init__(self, headers: bool) -> None:
        self.headers = headers
        self.lines: list[str] = []
        self.buffer: list[str] = []

    def flush(self) -> None:
        _flush(self.buffer, self.lines)

    def children(self, el: Element) -> None:
        """``el``'s own text, then each child (and its tail) in order."""
        buffer = self.buffer
        buffer.append(el.text or "")
        for sub in el:
            if len(sub):
                self.walk(sub)
            else:
                tag = sub.tag  # the local name, inlined (comments and PIs: "")
                name = tag[tag.find("}") + 1:] if tag.__class__ is str else ""
                if name in _SKIP or not name:
                    pass
                elif name == "br":
                    _flush(buffer, self.lines)
                elif name == "table":
                    _flush(buffer, self.lines)
                    self.lines.extend(_table(sub, self.headers))
                elif name in _BLOCK:
                    _flush(buffer, self.lines)
                    buffer.append(sub.text or "")
                    _flush(buffer, self.lines)
                else:
                    buffer.append(sub.text or "")
            buffer.append(sub.tail or "")

    def walk(self, el: Element) -> None:
        name = local_name(el)
        if name in _SKIP or not name:
            return
        if name == "br":
            self.flush()
            return
        if name == "table":
            self.flush()
            self.lines.extend(_table(el, self.headers))
            return
        if name in _BLOCK:
            self.flush()
            self.children(el)
            self.flush()
        else:
            self.children(el)

    def finish(self) -> list[str]:
        self.flush()
        return self.lines


def _table(table: Element, headers: bool) -> list[str]:
    lines: list[str] = []
    for part in table:
        tag = part.tag
        name = tag[tag.find("}") + 1:] if tag.__class__ is str else ""
        if name == "tr":
            lines += _row(part, headers)
        elif name in ("tbody", "tfoot") or (name == "thead" and headers):
            for row in part:
                tag = row.tag
                if tag.__class__ is str and tag[tag.find("}") + 1:] == "tr":
                    lines += _row(row, headers)
        elif name == "caption":
            lines.extend(render_lines(part, headers=headers))
    return lines


def _plain_cell(text: str) -> str:
    """A text-only cell: its lines (normalize_space of each) joined by one space."""
    if "\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text:  # where split() and \s disagree
        return " ".join(line for line in (normalize_space(part) for part in text.splitlines()) if line)
    return " ".join(text.split())  # every line break splitlines() knows is whitespace to split(): the same


def _row(row: Element, headers: bool = True) -> list[str]:
    """A table row: its cells joined by " | ", then the lines of tables or lists nested in a cell. Cells are read
    in this loop (text-only cells, and cells of leaf children only: <content>, <br/>, <paragraph> …) without a
    call each; a cell with deeper content is rendered as a narrative of its own."""
    cells: list[str] = []
    nested: list[str] = []
    if not headers:
        kinds = {local_name(cell) for cell in row}
        if "th" in kinds and "td" not in kinds:
            return []
    for cell in row:
        tag = cell.tag
        if tag.__class__ is not str or tag[tag.find("}") + 1:] not in ("td", "th"):
            continue
        if len(cell) == 0:  # text only (most cells): what render_lines gives, without its dispatch
            text = _plain_cell(cell.text or "")
        else:
            lines = _leaf_cell(cell)
            if lines is None:  # deeper content, or a nested table / list: the general renderer
                if next(cell.iterdescendants(_NESTED_BLOCKS), None) is not None:
                    nested.extend(render_lines(cell, headers=headers))
                    continue
                lines = render_lines(cell, headers=headers)
            text = " ".join(lines)
        if text:
            cells.append(text)
    if cells:
        nested.insert(0, " | ".join(cells))
    return nested


def _leaf_cell(cell: Element) -> list[str] | None:
    """The lines ``_Writer`` gives for a cell whose children are all leaves other than <table> / <list>; None
    for any other cell (nothing of it is kept)."""
    lines: list[str] = []
    buffer = [cell.text or ""]
    for sub in cell:
        if len(sub):
            return None
        tag = sub.tag
        name = tag[tag.find("}") + 1:] if tag.__class__ is str else ""
        if name in _SKIP or not name:
            pass
        elif name == "br":
            _flush(buffer, lines)
        elif name == "table" or name == "list":
            return None
        elif name in _BLOCK:
            _flush(buffer, lines)
            buffer.append(sub.text or "")
            _flush(buffer, lines)
        else:
            buffer.append(sub.text or "")
        buffer.append(sub.tail or "")
    _flush(buffer, lines)
    return lines


class NarrativeIndex:
    """Narrative elements by their @ID, rendered on demand (IDs are document-unique in CDA)."""

    def __init__(self, root: Element) -> None:
        self._by_id: dict[str, Element] = {}
        # ``//*/@ID`` (the attributes, each knowing its element) rather than ``//*[@ID]``: libxml2 then tests no
        # predicate on every node of the document; and rather than ``//@ID``, whose descendant-or-self::node()
        # step gathers every text node too (only elements have attributes). The same elements, in document order.
        for ident in compiled_xpath("//*/@ID")(root):
            if ident and ident not in self._by_id:
                self._by_id[str(ident)] = ident.getparent()
        self._rendered: dict[str, str | None] = {}

    def resolve(self, ident: str) -> str | None:
        """Text of the narrative node with this ID, or None when no such node exists / it is empty."""
        if ident in self._rendered:
            return self._rendered[ident]
        el = self._by_id.get(ident)
        text = normalize_space(" ".join(render_lines(el))) if el is not None else None
        self._rendered[ident] = text
        return text

    def __contains__(self, ident: str) -> bool:
        return ident in self._by_id
