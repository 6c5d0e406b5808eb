"""Per-document parse state shared by the extractors: rules, narrative, locators, notes, sections."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from cliniq_agent.cda.rules import CdaKb, EntryRule, ScopedRule, SectionRule
from cliniq_agent.cda.narrative import NarrativeIndex
from cliniq_agent.cda.elements import CDA, Element, Locator, attr, child, is_true, time_bounds
from cliniq_agent.cda.navigate import child_starts
from cliniq_agent.cda.select import DocumentSelector
from cliniq_agent.core.schema import Assertion, Evidence, Tier


R = TypeVar("R", bound=ScopedRule)
_STATUS_CODE = f"{CDA}statusCode"


@dataclass(frozen=True)
class SectionRef:
    """A classified section as the entry extractors see it."""

    element: Element
    kind: str | None
    rule: SectionRule | None
    index: int  # position in CdaParse.sections


@dataclass
class ParseContext:
    root: Element
    kb: CdaKb
    narrative: NarrativeIndex
    locator: Locator = field(default_factory=Locator)
    notes: list[str] = field(default_factory=list)
    sections: dict[Element, SectionRef] = field(default_factory=dict)
    select: DocumentSelector = field(init=False)  # absolute XPaths over the document's element index
    _navigated: dict[tuple[str, Element], list] = field(default_factory=dict)  # (XPath name, element) -> result
    # (element, translation depth) -> (its Coded, the notes reading it added): see codes.read_coded
    coded: dict[tuple[Element, int], tuple] = field(default_factory=dict)
    _kinds: tuple[int, set[str | None]] | None = None  # (section count, their kinds), see _section_kinds
    _encounter_start: tuple[str | None] | None = None  # (start,) once read, see encounter_start

    def __post_init__(self) -> None:
        self.select = DocumentSelector(self.root)

    def note(self, message: str, el: Element | None = None) -> None:
        """Record something skipped or odd; with the element's XPath when there is one."""
        self.notes.append(f"{message} [{self.locator(el)}]" if el is not None else message)

    def section_of(self, el: Element) -> SectionRef | None:
        """The nearest enclosing section (entries belong to their innermost section)."""
        # "{*}section": a section in any namespace or none (as a local-name test), found by libxml2's walk up
        # the tree without a proxy and a tag string for every ancestor on the way.
        node = next(el.iterancestors("{*}section"), None)
        return None if node is None else self.sections.get(node)

    def claimed_matches(self, rules: Iterable[R]) -> Iterator[tuple[R, Element, SectionRef | None]]:
        """Each element the ``rules`` select, once, with the first rule (in order) that selects it in a section
        the rule applies to. Claims hold among these rules only: the entry pass and the act pass claim apart."""
        claimed: set[Element] = set()
        for rule in rules:
            if not self.may_apply(rule.sections, rule.xpath):
                continue
            for el in self.select(rule.xpath):
                if el in claimed:
                    continue
                section = self.section_of(el)
                if not rule.applies_to(section.kind if section else None):
                    continue
                claimed.add(el)
                yield rule, el, section

    def may_apply(self, sections: list[str], xpath: str) -> bool:
        """Whether a rule for these section kinds can take any element of this document, before its XPath runs
        ("*" / "?" / kinds, as ``applies_to``): a listed kind needs a section of that kind; "?" a section no rule
        classified, or an XPath that can reach an element outside every section."""
        kinds = self._section_kinds()
        if "*" in sections or any(kind in sections for kind in kinds if kind is not None):
            return True
        if "?" in sections:
            return None in kinds or not all(part.strip().startswith("//cda:section/") for part in xpath.split("|"))
        return False

    def _section_kinds(self) -> set[str | None]:
        """The kinds of the document's sections, listed again only when sections were added (asked per rule)."""
        if self._kinds is None or self._kinds[0] != len(self.sections):
            self._kinds = (len(self.sections), {ref.kind for ref in self.sections.values()})
        return self._kinds[1]

    def encounter_start(self) -> str | None:
        """When the header's encompassing encounter began (its effectiveTime), read once per document: each
        problem with a resolution date asks (problems.py)."""
        if self._encounter_start is None:
            found = self.kb.xpath(self.kb.header_xpaths["encompassing_encounter"])(self.root)
            self._encounter_start = (time_bounds(child(found[0], "effectiveTime"))[0] if found else None,)
        return self._encounter_start[0]

    def xpath(self, name: str, el: Element) -> list:
        """Evaluate a named navigation XPath (kb/cda/navigation.toml) relative to ``el`` (once per element: the
        labs of one organizer ask for its status and specimen each). The list is shared: do not change it."""
        key = (name, el)
        found = self._navigated.get(key)
        if found is None:
            found = self._navigated[key] = self.kb.xpath(self.kb.navigation[name])(el)
        return found

    def may_select(self, name: str, kids: dict) -> bool:
        """False when the named child-step path cannot select anything from an element whose children were read
        already (``kids``: elements.first_children): it has none of the children the path's branches start
        with. Then no XPath call is needed (the guard in navigate.py would look the same children up again)."""
        starts = child_starts(self.kb.navigation[name])
        return starts is None or any(tag in kids for tag in starts)

    def first(self, name: str, el: Element) -> Element | None:
        found = self.xpath(name, el)
        return found[0] if found else None

    def evidence(self, el: Element, rule: EntryRule | str, text: str | None) -> Evidence:
        rule_id = rule if isinstance(rule, str) else rule.id
        return Evidence(tier=Tier.CDA_ENTRY, locator=self.locator(el), text=text, rule=rule_id)

    def assertion(self, el: Element, section: SectionRef | None) -> Assertion:
        """negationInd, then moodCode, then the section's default (past history, family history)."""
        if is_true(el.get("negationInd")):
            return Assertion.NEGATED
        mood = attr(el, "moodCode")
        if mood:
            mapped = self.kb.mood.get(mood)
            if mapped is None:
                self.note(f"unknown moodCode {mood!r}; treated as an event", el)
            elif mapped is not Assertion.PRESENT:
                return mapped
        if section is not None and section.rule is not None and section.rule.assertion is not None:
            return section.rule.assertion
        return Assertion.PRESENT

    def skip_reason(self, el: Element, kids: dict | None = None) -> str | None:
        """Why an entry must not become a fact at all (statusCode nullified = entered in error). ``kids``: its
        children as elements.first_children read them, when the extractor has them."""
        status = attr(kids.get(_STATUS_CODE) if kids is not None else child(el, "statusCode"), "code")
        return self.kb.skip_status.get(status) if status else None
