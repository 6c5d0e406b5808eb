"""Scan text for KB names: every token n-gram is looked up as a folded key, longest match first.

Only mentions that can become items are kept: reportable-condition SNOMED codes (not symptoms or
qualifiers such as "fever" or "detected"), LOINC tests named by at least three words (one- and
two-word LOINC names such as "Note" or "Weight" are too generic to find in prose), RxNorm products
named with their strength (a bare ingredient does not say which product), and CVX vaccines. A disease
name followed by an analyte word ("measles IgM") is a lab test, not a diagnosis.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from functools import lru_cache

import regex
from pydantic import BaseModel

from cliniq_agent.core.budget import check_budget
from cliniq_agent.core.tsv import kb_table
from cliniq_agent.text.lookup.ngram_keys import KeyOf, key_function
from cliniq_agent.text.lookup.species import other_species
from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.terminology.normalize import fold_key
from cliniq_agent.core.textnorm import fold

_TOKEN = regex.compile(r"[\p{L}\p{M}]+|\p{N}+")
_NEXT_WORD = regex.compile(r"[ \t]+[\p{L}\p{M}]+")
_DIGIT = regex.compile(r"\d")
_MIN_LOINC_WORDS = 3
_BUDGET_CHECK_TOKENS = 4096   # a single huge line checks the time budget every this many tokens
_KIND = {"snomed": "conditions", "loinc": "labs", "rxnorm": "meds", "cvx": "immunizations"}


class KBMention(BaseModel):
    """A KB name found in text."""

    span: tuple[int, int]
    text: str
    system: str
    code: str
    name: str
    kind: str


@lru_cache(maxsize=1)
def _analyte_pattern() -> regex.Pattern[str]:
    """A test / prevention word or a setting word ("clinic") right after a disease name."""
    words = [fold(row["word"]) for row in kb_table("lookup", "analyte_words.tsv")]
    words += [fold(row["word"]) for row in kb_table("lookup", "setting_words.tsv") if row["position"] == "after"]
    words = sorted(set(words), key=len, reverse=True)
    return regex.compile(r"^[\s(]*(?:virus\s+|viral\s+)?(?:" + "|".join(regex.escape(w) for w in words) + r")(?!\w)")


@lru_cache(maxsize=1)
def _setting_before() -> regex.Pattern[str]:
    """A setting word right before a disease name ("phòng khám HIV", "programa de control de la tuberculosis"),
    matched on the folded text that ends where the name starts."""
    words = sorted({fold(row["word"]) for row in kb_table("lookup", "setting_words.tsv") if row["position"] == "before"},
                   key=len, reverse=True)
    link = r"(?:\s+(?:de|del|da|do|des|du|d'|la|el|le|l'|a|o|nacional|national|control|controle|contra|contre|lutte|phong|chong))*"
    return regex.compile(r"(?<!\w)(?:" + "|".join(regex.escape(w) for w in words) + r")" + link + r"\s*$")


@lru_cache(maxsize=1)
def _complements() -> dict[str, regex.Pattern[str]]:
    """Folded name -> what, right after it, makes it name another target (kb/lookup/name_complements.tsv)."""
    return {fold(row["name"]): regex.compile(row["complement"]) for row in kb_table("lookup", "name_complements.tsv")}


def _other_target_after(text: str, span: tuple[int, int]) -> bool:
    """"séropositive pour la toxoplasmose": the words after the name point it at another agent."""
    complement = _complements().get(fold(text[span[0]:span[1]]))
    return complement is not None and bool(complement.match(fold(text[span[1]:span[1] + 60])))


# a name never runs over a dash, a semicolon or a bar between its words ("PHIẾU KHÁM BỆNH — PHÒNG KHÁM" is not
# the Vietnamese "bệnh phong")
_NAME_BREAK = regex.compile(r"\s[-\u2013\u2014]+\s|[\u2013\u2014;|]")


def find_kb_mentions(text: str, kb: TerminologyKB, spans: list[tuple[int, int]] | None = None) -> list[KBMention]:
    mentions: list[KBMention] = []
    name_starts, longest_cased = kb.name_key_starts
    grows = _key_prefix_test(kb)
    for start, end in spans or [(0, len(text))]:
        check_budget("lookup tier")
        tokens = [m for m in _TOKEN.finditer(text, start, end)]
        key_of, first_words, reach = key_function(text, tokens)
        scan = _Tokens(text, tokens, key_of)
        index = steps = 0
        while index < len(tokens):
            steps += 1
            if steps % _BUDGET_CHECK_TOKENS == 0:
                check_budget("lookup tier")
            found = None
            possible = first_words(index)
            if possible is None or any(word in name_starts for word in possible):
                limit = max(reach(index, scan.limit(index, kb), grows), scan.within(index, longest_cased))
                found = _longest_at(scan, index, kb, limit)
            elif scan.ends[index] - scan.starts[index] <= longest_cased:   # only an abbreviation can start here
                found = _longest_at(scan, index, kb, scan.within(index, longest_cased))
            if found is None:
                index += 1
                continue
            length, mention = found
            if mention is not None:
                mentions.append(mention)
            index += length
    return mentions


class _Tokens:
    """One span's tokens as offsets, with the index of the last token on each token's line."""

    def __init__(self, text: str, tokens: list[regex.Match[str]], key_of: KeyOf) -> None:
        self.text, self.key_of = text, key_of
        self.starts = [token.start() for token in tokens]
        self.ends = [token.end() for token in tokens]
        self.line_ends = self._line_ends()

    def _line_ends(self) -> list[int]:
        """Per token, the index of the last token on its line (a name never spans lines)."""
        text, starts, ends = self.text, self.starts, self.ends
        last_on_line = [0] * len(starts)
        last = len(starts) - 1
        for k in range(len(starts) - 1, -1, -1):
            if k < len(starts) - 1 and "\n" in text[ends[k]:starts[k + 1]]:
                last = k
            last_on_line[k] = last
        return last_on_line

    def limit(self, index: int, kb: TerminologyKB) -> int:
        """Most tokens a name starting at ``index`` can have (the KB's longest name, the line's end)."""
        return min(len(self.starts) - index, kb.longest_name_tokens, self.line_ends[index] - index + 1)

    def within(self, index: int, max_chars: int) -> int:
        """How many tokens from ``index`` on (within ``limit``) span at most ``max_chars`` characters."""
        count, limit, first = 0, len(self.starts) - index, self.starts[index]
        ends, line_end = self.ends, self.line_ends[index]
        while count < limit and index + count <= line_end and ends[index + count] - first <= max_chars:
            count += 1
        return count


def _longest_at(scan: _Tokens, index: int, kb: TerminologyKB, limit: int) -> tuple[int, KBMention | None] | None:
    """The longest name starting at token ``index`` of at most ``limit`` tokens.

    The callers bound ``limit``: past the n-gram reach of the folded name keys (``ngram_keys.reach``) and
    the longest case-sensitive key in characters, no longer n-gram can match, so trying all 19 lengths at
    every token only cost time."""
    if _second_syllable(scan, index):
        return None   # "phơi nhiễm HIV": the name starts after the word ("HIV"), not on its second syllable
    limit = min(limit, scan.limit(index, kb))
    text, first = scan.text, scan.starts[index]
    folded_names, cased_names = kb._name_index   # read directly: ``name_key_hits`` copies a list per call
    longest_cased = kb.name_key_starts[1]
    for length in range(limit, 0, -1):
        last = scan.ends[index + length - 1]
        surface = text[first:last]
        if length > 1 and _NAME_BREAK.search(surface):
            continue
        key = scan.key_of(index, length)
        if length > 1 and "," in surface and kb.tone_names.vietnamese(key):
            continue   # no Vietnamese name has a comma: "sốt, vàng da" (fever, jaundice) is not "sốt vàng"
        cased = cased_names.get(surface.strip(), ()) if last - first <= longest_cased else ()
        hits = cased or (folded_names.get(key, ()) if kb.tone_names.agree(surface, key) else ())
        if len(surface) <= 4 and not cased and surface.isascii():
            # tiny lower-case ASCII words are not abbreviations; an accented one ("sởi", "cúm") is a spelled word
            hits = [h for h in hits if len(key) > 3]
        for system, code in hits:
            mention = _mention(text, (first, last), system, code, kb)
            if mention is not None:
                return length, mention
        if hits:
            return length, None  # a known non-item name ("fever", "detected"): consume it
    return None


@lru_cache(maxsize=1)
def _compound_heads() -> dict[str, frozenset[str]]:
    """Folded second syllable -> the first syllables it completes a word with (kb/lookup/compound_heads.tsv)."""
    heads: dict[str, set[str]] = {}
    for row in kb_table("lookup", "compound_heads.tsv"):
        heads.setdefault(fold(row["second"]), set()).add(fold(row["first"]))
    return {second: frozenset(firsts) for second, firsts in heads.items()}


def _second_syllable(scan: _Tokens, index: int) -> bool:
    """Token ``index`` is the second syllable of a two-syllable word with the token before it ("phơi nhiễm")."""
    if index == 0:
        return False
    text = scan.text
    firsts = _compound_heads().get(fold(text[scan.starts[index]:scan.ends[index]]))
    return bool(firsts) and text[scan.ends[index - 1]:scan.starts[index]].isspace() and \
        fold(text[scan.starts[index - 1]:scan.ends[index - 1]]) in firsts


@lru_cache(maxsize=4)
def _key_prefix_test(kb: TerminologyKB) -> Callable[[str], bool]:
    """"Does some folded name key of ``kb`` start with this string?" — one bisect in the sorted keys."""
    keys = sorted(kb._name_index[0])

    def grows(prefix: str) -> bool:
        at = bisect_left(keys, prefix)
        return at < len(keys) and keys[at].startswith(prefix)
    return grows


def _mention(text: str, span: tuple[int, int], system: str, code: str, kb: TerminologyKB) -> KBMention | None:
    if system == "icd10":
        # an ICD-10-CM description written out ("Varicella [chickenpox]", copied from a problem list) names the
        # reportable condition its code precisely indicates; other descriptions (exposure, carrier) name none
        link = kb.icd10_condition(code)
        if link is None or link.strength != "precise":
            return None
        system, code = "snomed", link.condition
    kind = _KIND.get(system)
    if kind is None:
        return None
    if system == "snomed":
        condition = kb.condition(code)
        if condition is None:
            return None
        if _analyte_pattern().match(fold(text[span[1]: span[1] + 40])):
            return None
        if _other_target_after(text, span):
            return None
        if _setting_before().search(fold(text[max(0, span[0] - 50): span[0]])):
            return None
        condition = kb.diagnosis_condition(condition)
        code, name = condition.snomed, condition.name
        after = _NEXT_WORD.match(text, span[1])
        if after and other_species(text[span[0]:after.end()], code):
            return None   # "Chlamydia pneumoniae": the genus names a sibling species here, not this condition
    else:
        concept = kb.lookup(system, code)
        if concept is None:
            return None
        surface = text[span[0]:span[1]]
        if system == "loinc" and len(fold_key(surface).split()) < _MIN_LOINC_WORDS:
            return None
        if system == "rxnorm" and not _DIGIT.search(surface):
            return None
        name = concept.display
    return KBMention(span=span, text=text[span[0]:span[1]], system=system, code=code, name=name, kind=kind)
