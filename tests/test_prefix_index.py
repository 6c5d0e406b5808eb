"""The text-link prefix index only narrows which rows are tried: every row whose pattern matches a text must be
among its candidates (real KB rows; texts from the KB's names and phrases around the lookbehind rows)."""

from __future__ import annotations

import pytest

from cliniq_agent.terminology import TerminologyKB, fold_key
from cliniq_agent.terminology.prefix_index import PrefixIndex, literal_start

PHRASES = ["gc ng ct naat positive", "ct ng pcr", "ng ct detected", "benh lau duong tinh", "nhiem lau",
           "viral hemorrhagic fever", "dengue hemorrhagic fever", "hemorrhagic fever with renal syndrome",
           "xet nghiem lao duong tinh", "tb pcr", "invasive group a strep", "cre", "dog bite", "e coli is carbapenem resistant"]


@pytest.mark.parametrize("branch, literal", [("(?<=ct )ng", "ng"), ("(?<=(?:gc|ng) )ct", "ct"),
                                             ("(?<!dengue )(?<!with renal )viral fever", "viral fever"),
                                             ("(?<=[)])xy", "xy"), ("ab?c", "a"), ("(a|b)c", "")])
def test_literal_start_skips_leading_lookbehinds(branch, literal):
    assert literal_start(branch) == literal


def test_candidates_keep_every_matching_row():
    kb = TerminologyKB.load()
    texts = [*PHRASES, *(c.name for c in kb.conditions), *(s.text for c in kb.conditions for s in c.synonyms)]
    keys = {fold_key(text) for text in texts} - {""}
    for use in ("lab", "dx"):
        rows = [link for link in kb.text_links.links if link.use in (use, "any")]
        index = PrefixIndex([link.source.strip() for link in rows])
        matched = 0
        for key in keys:
            matching = {i for i, row in enumerate(rows) if row.pattern.search(key)}
            assert matching <= set(index.candidates(key)), (use, key)
            matched += bool(matching)
        assert matched > 50  # the texts do reach the rows
