"""The parse's fast paths give exactly what the plain forms they replace give.

DocumentSelector (narrowed template variables) against libxml2 evaluating the rule XPath on the whole tree;
normalize_space against the \\s+ regex; HL7 TS parsing on edge cases.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import regex
from lxml import etree

from cliniq_agent.cda.elements import iso_date, iso_datetime, normalize_space
from cliniq_agent.cda.act_rules import default_act_kb
from cliniq_agent.cda.elements import CDA
from cliniq_agent.cda.navigate import navigation
from cliniq_agent.cda.rules import default_kb
from cliniq_agent.cda.select import DocumentSelector
from cliniq_agent.cda.triggers import _MARKED_ANYWHERE
from cliniq_agent.core.xmlsafe import NSMAP, parse_xml

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

_NESTED = b"""<ClinicalDocument xmlns="urn:hl7-org:v3"><component><structuredBody>
<observation><templateId root="2.16.840.1.113883.10.20.22.4.4"/><templateId root="x"/>
  <entryRelationship><observation><templateId root="2.16.840.1.113883.10.20.22.4.4"/></observation></entryRelationship>
</observation>
<act><entryRelationship><observation><code code="1"/><templateId root=" 2.16.840.1.113883.10.20.22.4.4"/>
</observation></entryRelationship><templateId root="2.16.840.1.113883.10.20.22.4.3"/></act>
<observation><templateId root="2.16.840.1.113883.10.20.15.2.3.3"/></observation>
<observation><code code="11449-6"/><code code="x"/></observation><observation><code code=" 11449-6"/></observation>
<organizer><component><observation><code code="82810-3"/><value code="y"/></observation></component></organizer>
</structuredBody></component></ClinicalDocument>"""


def _rule_xpaths() -> list[str]:
    kb, akb = default_kb(), default_act_kb()
    roots = " or ".join(f"@root='{t.root}'" for t in kb.trigger_templates)
    return [rule.xpath for rule in [*kb.entries, *akb.rules, *akb.people]] + [
        f"//cda:templateId[{roots}]/parent::*", "//cda:templateId[@root='x' or @root='missing']/parent::*",
        "//cda:observation[cda:code/@code='x' or cda:templateId/@root='x']",
        "//cda:observation[cda:code/@code='11449-6']/cda:value", _MARKED_ANYWHERE]


def _relative_xpaths() -> list[str]:
    kb, akb = default_kb(), default_act_kb()
    return [*kb.navigation.values(), *akb.xpaths.values(), kb.rr_determination_xpath,
            *(path for template in kb.trigger_templates for path in template.code_paths),
            "ancestor::cda:organizer[1]", "cda:component/cda:observation/cda:value | cda:code"]


def _documents(shared: Path | None) -> list[etree._Element]:
    docs = [etree.fromstring(_NESTED), parse_xml((EXAMPLES / "eicr_pertussis.xml").read_bytes(), name="example")]
    if shared is not None:
        docs += [parse_xml(p.read_bytes(), name=p.name)
                 for p in sorted((shared / "external" / "phdi-dev").glob("*/CDA_eICR.xml"))[:10]]
    return docs


@pytest.mark.parametrize("with_shared", [False, True])
def test_selector_returns_the_nodes_libxml2_returns_in_the_same_order(with_shared: bool, request) -> None:
    shared = request.getfixturevalue("shared_data") if with_shared else None
    checked = 0
    for root in _documents(shared):
        select = DocumentSelector(root)
        for expr in _rule_xpaths():
            expected = etree.XPath(expr, namespaces=NSMAP)(root)
            assert select(expr) == expected, expr
            checked += len(expected)
    assert checked > 0


@pytest.mark.parametrize("with_shared", [False, True])
def test_navigation_returns_the_nodes_libxml2_returns(with_shared: bool, request) -> None:
    """cda/navigate.py's guards (no child path can match, nearest ancestor) against plain libxml2."""
    shared = request.getfixturevalue("shared_data") if with_shared else None
    tags = [CDA + name for name in ("observation", "act", "organizer", "substanceAdministration", "procedure",
                                    "encounter", "assignedEntity", "assignedAuthor", "manufacturedProduct")]
    checked = 0
    for root in _documents(shared):
        for expr in _relative_xpaths():
            expected, fast = etree.XPath(expr, namespaces=NSMAP), navigation(expr)
            for el in root.iter(*tags):
                found = expected(el)
                assert fast(el) == found, expr
                checked += len(found)
    assert checked > 0


def test_normalize_space_matches_the_whitespace_regex() -> None:
    pattern = regex.compile(r"\s+")
    samples = ["  a \t b\n\nc  ", "\u00a0x\u2003y\u3000", "a\x1cb \x1f c", "\x85z\u2028", "", "   ", "one"]
    for text in samples:
        expected = pattern.sub(" ", text).strip() or None
        assert normalize_space(text) == expected, repr(text)


@pytest.mark.parametrize(("value", "stamp", "day"), [
    ("20240101", "2024-01-01", "2024-01-01"),
    ("2024010112", "2024-01-01T12:00:00", "2024-01-01"),
    ("202401011260", "2024-01-01", "2024-01-01"),          # minute 60: the date stands alone
    ("20240101246000", "2024-01-01", "2024-01-01"),        # hour 24
    ("20240101235959-0500", "2024-01-01T23:59:59-05:00", "2024-01-01"),
    ("20240101120000.123+0100", "2024-01-01T12:00:00+01:00", "2024-01-01"),
    ("202413", None, None), ("20240230", None, None), ("2024", "2024", "2024"), ("202402", "2024-02", "2024-02"),
    ("2024021", None, None), ("", None, None),
])
def test_hl7_timestamps(value: str, stamp: str | None, day: str | None) -> None:
    assert iso_datetime(value) == stamp
    assert iso_date(value) == day


@pytest.mark.parametrize("with_shared", [False, True])
def test_leaf_cells_render_as_the_general_narrative_writer_renders_them(with_shared: bool, request) -> None:
    """narrative._leaf_cell (a table cell of leaf children, read in _row's loop) against _Writer on the cell."""
    from cliniq_agent.cda.narrative import _leaf_cell, _Writer

    shared = request.getfixturevalue("shared_data") if with_shared else None
    cell = etree.fromstring(b"<td xmlns='urn:hl7-org:v3'> a <content>b</content>c<br/>d <paragraph>e</paragraph>"
                            b"<col/>f<footnoteRef/> g </td>")
    checked = 0
    for root in [cell, *_documents(shared)]:
        for el in root.iter(CDA + "td", CDA + "th"):
            fast = _leaf_cell(el)
            if fast is None:
                continue
            writer = _Writer(True)
            writer.children(el)
            assert fast == writer.finish()
            checked += 1
    assert checked > 0


def test_a_code_read_again_is_the_same_reading_with_the_same_notes() -> None:
    """read_coded reads an element once per parse; a repeat returns that reading and adds its notes again."""
    from cliniq_agent.cda.codes import read_coded
    from cliniq_agent.cda.doc_state import ParseContext
    from cliniq_agent.cda.narrative import NarrativeIndex

    root = etree.fromstring(b"<ClinicalDocument xmlns='urn:hl7-org:v3'><code code='UNK' codeSystem='2.16.840.1.113883.6.96'>"
                            b"<originalText><reference value='#missing'/></originalText>"
                            b"<translation code='1' codeSystem='2.16.840.1.113883.6.1'/></code></ClinicalDocument>")
    code = root[0]
    ctx = ParseContext(root=root, kb=default_kb(), narrative=NarrativeIndex(root))
    first = read_coded(code, ctx)
    notes = list(ctx.notes)
    assert len(notes) == 2 and first.code is None and first.translations[0].code == "1"
    assert read_coded(code, ctx) is first
    assert ctx.notes == notes + notes
    fresh = ParseContext(root=root, kb=default_kb(), narrative=NarrativeIndex(root))
    assert read_coded(code, fresh) == first and fresh.notes == notes


@pytest.mark.parametrize("with_shared", [False, True])
def test_children_read_once_answer_as_the_lookups_they_replace(with_shared: bool, request) -> None:
    """elements.first_children against ``child`` for every child name; ParseContext.may_select False only where
    the navigation path selects nothing."""
    from cliniq_agent.cda.doc_state import ParseContext
    from cliniq_agent.cda.elements import child, first_children
    from cliniq_agent.cda.narrative import NarrativeIndex

    shared = request.getfixturevalue("shared_data") if with_shared else None
    kb = default_kb()
    skipped = 0
    for root in _documents(shared):
        ctx = ParseContext(root=root, kb=kb, narrative=NarrativeIndex(root))
        for el in root.iter(CDA + "observation", CDA + "act", CDA + "organizer", CDA + "substanceAdministration"):
            kids = first_children(el)
            for name in ("code", "value", "statusCode", "effectiveTime", "text", "entryRelationship", "specimen"):
                assert kids.get(CDA + name) is child(el, name)
            for name, expr in kb.navigation.items():
                if not ctx.may_select(name, kids):
                    assert etree.XPath(expr, namespaces=NSMAP)(el) == []
                    skipped += 1
    assert skipped > 0
