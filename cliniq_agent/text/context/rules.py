"""Load and compile the ConText rule tables in kb/context/ (TSV, '#' comment lines).

Why data, not code: triggers differ per language and per note style; reviewers edit the TSVs and
the loader checks every row (known category / direction, integer window, regex compiles) so that
a bad row fails loudly with its file and line instead of silently never matching.
"""

from __future__ import annotations

import unicodedata

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import regex

from cliniq_agent.core.errors import CliniqError
from cliniq_agent.core.schema import Assertion
from cliniq_agent.core.textnorm import fold_full
from cliniq_agent.core.tsv import TableError, numbered_rows

from .language import LanguageCues
from .pieces import stop_chars
from .prefilter import required_literals

LANGUAGES: tuple[str, ...] = ("en", "es", "pt", "fr", "vi")
ANY_LANGUAGE = "any"
_FLAGS = regex.MULTILINE | regex.VERSION0


class Category(str, Enum):
    """ConText modifier categories; only the first group changes the assertion."""

    NEGATED = "NEGATED"
    RULED_OUT = "RULED_OUT"
    HISTORICAL = "HISTORICAL"
    HYPOTHETICAL = "HYPOTHETICAL"
    POSSIBLE = "POSSIBLE"
    FAMILY = "FAMILY"
    VACCINATION = "VACCINATION"
    PLANNED = "PLANNED"
    SUSPECTED = "SUSPECTED"    # stays PRESENT, sets certainty="suspected" (reportable)
    QUOTED = "QUOTED"          # reported speech / handout text (scope only, from quotes)
    PSEUDO = "PSEUDO"          # blocks a false trigger match, modifies nothing
    TERMINATE = "TERMINATE"    # ends the scope of triggers (all, or those in applies=)
    END = "END"                # sections.tsv only: a header that ends a section scope
    QUOTE_OK = "QUOTE_OK"      # sections.tsv only: text before a quote that makes it the patient's words
    QUOTE_TERM = "QUOTE_TERM"  # sections.tsv only: quote content that marks a quoted term, not speech


class Direction(str, Enum):
    FORWARD = "forward"
    BACKWARD = "backward"
    BIDIRECTIONAL = "bidirectional"
    NONE = "none"        # pseudo and termination rows
    TARGET = "target"    # a different target type (e.g. a vaccine name): modifies a target that
                         # overlaps it, and otherwise ends other triggers' scopes


MODIFYING = frozenset(
    {
        Category.NEGATED, Category.RULED_OUT, Category.HISTORICAL, Category.HYPOTHETICAL,
        Category.POSSIBLE, Category.FAMILY, Category.VACCINATION, Category.PLANNED,
        Category.SUSPECTED, Category.QUOTED,
    }
)


class RuleError(CliniqError):
    """A row of a kb/context table is malformed (message names file and line)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One trigger / pseudo / termination row, compiled against folded text."""

    id: str
    language: str
    category: Category
    direction: Direction
    window: int
    compiled: regex.Pattern[str]
    source: str
    clause: bool = False                      # scope also stops at a comma
    applies: frozenset[Category] | None = None  # TERMINATE rows: which categories they end
    paren: bool = False                       # TARGET rows: the name in parentheses right after a mention modifies it
    over_result: bool = False                 # backward rows: a result word between target and trigger keeps the scope
    toned: regex.Pattern[str] | None = None   # `toned` rows: the pattern as written, which a marked match must fit
    required: tuple[str, ...] | None = None   # literals one of which every match contains (prefilter.py)
    stops: str = ""                           # characters no match contains or looks at (pieces.py)


@dataclass(frozen=True, slots=True)
class SectionRule:
    """A line-start header ("Family history:") whose lines take ``category``."""

    id: str
    language: str
    category: Category
    compiled: regex.Pattern[str]
    source: str


@dataclass(frozen=True, slots=True)
class Precedence:
    rank: int
    assertion: Assertion
    certainty: str | None
    ends_scope_of: frozenset[Category] | None = None  # None: every other category


@dataclass(slots=True)
class RuleSet:
    triggers: dict[str, list[Rule]] = field(default_factory=dict)  # language (or "any") -> rules
    sections: list[SectionRule] = field(default_factory=list)
    section_ends: list[SectionRule] = field(default_factory=list)
    quote_ok: list[SectionRule] = field(default_factory=list)
    quote_terms: list[SectionRule] = field(default_factory=list)
    precedence: dict[Category, Precedence] = field(default_factory=dict)
    cues: LanguageCues = field(default_factory=LanguageCues)
    abbreviations: frozenset[str] = frozenset()
    answers: frozenset[str] = frozenset()   # "Fever? No": answer words that keep a "?" inside its segment
    conjunctions: dict[str, frozenset[str]] = field(default_factory=dict)  # language -> list words


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """TSV rows with their 1-based line numbers (core/tsv.py), a malformed table as a RuleError."""
    try:
        return numbered_rows(path)
    except TableError as err:
        raise RuleError(str(err)) from err


_ESCAPE = regex.compile(r"\\.", regex.DOTALL)


def fold_regex(source: str) -> str:
    """Fold a regex's literal characters like the text, leaving escapes (\\S, \\w, \\b) intact."""
    out: list[str] = []
    last = 0
    for match in _ESCAPE.finditer(source):
        out.append(fold_full(source[last:match.start()]))
        out.append(match.group())
        last = match.end()
    out.append(fold_full(source[last:]))
    return "".join(out)


def literal_regex(literal: str, *, open_end: bool = False) -> str:
    """A folded literal as a regex: spaces match runs of space/hyphen, '-' is optional."""
    words = fold_full(literal).split()
    parts = []
    for word in words:
        parts.append("".join(r"[\s\-]?" if ch == "-" else regex.escape(ch) for ch in word))
    body = r"[\s\-]+".join(parts)
    first, last = words[0][0], words[-1][-1]
    prefix = r"(?<!\w)" if regex.match(r"\w", first) else ""
    suffix = r"(?!\w)" if regex.match(r"\w", last) and not open_end else ""
    return prefix + body + suffix


def _compile(path: Path, number: int, kind: str, pattern: str, open_end: bool) -> regex.Pattern[str]:
    if not pattern:
        raise RuleError(f"{path}:{number}: empty pattern")
    if kind == "lit":
        source = literal_regex(pattern, open_end=open_end)
    elif kind == "re":
        source = fold_regex(pattern)
    else:
        raise RuleError(f"{path}:{number}: kind must be 'lit' or 're', got {kind!r}")
    try:
        return regex.compile(source, _FLAGS)
    except regex.error as exc:
        raise RuleError(f"{path}:{number}: bad regex {pattern!r}: {exc}") from exc


def _toned(kind: str, pattern: str, open_end: bool) -> regex.Pattern[str]:
    """A `toned` row's pattern unfolded: folding merges Vietnamese words that differ only in their marks
    ("phòng" prevention, "phong" leprosy), so a match written with marks must fit the pattern as written."""
    source = literal_regex(pattern, open_end=open_end) if kind == "lit" else pattern
    return regex.compile(unicodedata.normalize("NFC", source), _FLAGS | regex.IGNORECASE)


def _enum(path: Path, number: int, enum: type[Enum], value: str) -> Enum:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)  # type: ignore[attr-defined]
        raise RuleError(f"{path}:{number}: {value!r} is not one of: {allowed}") from None


def _language(path: Path, number: int, value: str) -> str:
    if value not in LANGUAGES and value != ANY_LANGUAGE:
        raise RuleError(f"{path}:{number}: unknown language {value!r}")
    return value


def _parse_flags(path: Path, number: int, text: str) -> dict[str, str]:
    flags: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, value = item.partition("=")
        if key not in {"clause", "applies", "open_end", "paren", "over_result", "toned"}:
            raise RuleError(f"{path}:{number}: unknown flag {key!r}")
        flags[key] = value
    return flags


def load_triggers(path: Path, seen: set[str]) -> list[Rule]:
    rules = []
    for number, row in _rows(path):
        rule_id = row["id"]
        if not rule_id or rule_id in seen:
            raise RuleError(f"{path}:{number}: missing or duplicate id {rule_id!r}")
        seen.add(rule_id)
        category = _enum(path, number, Category, row["category"])
        direction = _enum(path, number, Direction, row["direction"] or "none")
        if category in (Category.END, Category.QUOTE_OK, Category.QUOTE_TERM, Category.QUOTED):
            raise RuleError(f"{path}:{number}: category {category.value} belongs in sections.tsv")
        inert = category in (Category.PSEUDO, Category.TERMINATE)
        if inert != (direction is Direction.NONE):
            raise RuleError(f"{path}:{number}: direction 'none' is for PSEUDO/TERMINATE rows only")
        flags = _parse_flags(path, number, row.get("flags", ""))
        try:
            window = int(row["window"]) if row["window"] else 0
        except ValueError:
            raise RuleError(f"{path}:{number}: window must be an integer") from None
        if not inert and direction is not Direction.TARGET and (not row["window"] or window < 0):
            raise RuleError(f"{path}:{number}: a trigger needs a window >= 0 (0 = adjacent)")
        applies = None
        if "applies" in flags:
            applies = frozenset(_enum(path, number, Category, name) for name in flags["applies"].split("|"))
        compiled = _compile(path, number, row["kind"], row["pattern"], "open_end" in flags)
        rules.append(
            Rule(
                id=rule_id,
                language=_language(path, number, row["language"]),
                category=category,  # type: ignore[arg-type]
                direction=direction,  # type: ignore[arg-type]
                window=window,
                compiled=compiled,
                source=row["pattern"],
                clause="clause" in flags,
                applies=applies,
                paren="paren" in flags,
                over_result="over_result" in flags,
                toned=_toned(row["kind"], row["pattern"], "open_end" in flags) if "toned" in flags else None,
                required=required_literals(compiled),
                stops=stop_chars(compiled),
            )
        )
    return rules


# a header may name where its content comes from before the colon ("Past history per patient:", "Antecedentes según
# la madre:", "Antécédents d'après le dossier:"): the section is the same
_HEADER_SOURCE = r"(?:(?:per|from|according\s+to|segun|segundo|selon|d'apres|theo)[ \t]+[^\n:]{1,25}?[ \t]*)?"


def load_sections(path: Path, ruleset: RuleSet) -> None:
    """Header rows compile to 'line start, optional bullet, header, colon'; QUOTE_OK to 'ends here'."""
    for number, row in _rows(path):
        category = _enum(path, number, Category, row["category"])
        body = _compile(path, number, row["kind"], row["pattern"], False).pattern
        if category is Category.QUOTE_OK:
            source = rf"(?:{body})[\s:,\-]*$"
        elif category is Category.QUOTE_TERM:
            source = body
        else:
            source = rf"^[ \t]*(?:[-*\u2022][ \t]*)?(?:{body})[ \t]*(?:\([^)\n]*\)[ \t]*)?{_HEADER_SOURCE}:"
        rule = SectionRule(row["id"], _language(path, number, row["language"]), category,  # type: ignore[arg-type]
                           regex.compile(source, _FLAGS), row["pattern"])
        if category is Category.QUOTE_OK:
            ruleset.quote_ok.append(rule)
        elif category is Category.QUOTE_TERM:
            ruleset.quote_terms.append(rule)
        elif category is Category.END:
            ruleset.section_ends.append(rule)
        elif category in MODIFYING:
            ruleset.sections.append(rule)
        else:
            raise RuleError(f"{path}:{number}: category {category.value} cannot head a section")


def load_precedence(path: Path) -> dict[Category, Precedence]:
    table: dict[Category, Precedence] = {}
    for number, row in _rows(path):
        category = _enum(path, number, Category, row["category"])
        assertion = _enum(path, number, Assertion, row["assertion"])
        ends = row.get("ends_scope_of", "").strip()
        ends_scope_of = None if ends in ("", "*") else frozenset(
            _enum(path, number, Category, name) for name in ends.split("|"))  # type: ignore[misc]
        table[category] = Precedence(int(row["rank"]), assertion, row["certainty"] or None,  # type: ignore[arg-type]
                                     ends_scope_of)
    missing = MODIFYING - table.keys()
    if missing:
        raise RuleError(f"{path}: no precedence for {sorted(c.value for c in missing)}")
    return table


def load_ruleset(folder: Path) -> RuleSet:
    """Read every table in kb/context/ (triggers_*.tsv, sections.tsv, precedence.tsv, ...)."""
    ruleset = RuleSet()
    seen: set[str] = set()
    files = sorted(folder.glob("triggers_*.tsv"))
    if not files:
        raise RuleError(f"{folder}: no triggers_*.tsv tables")
    for path in files:
        for rule in load_triggers(path, seen):
            ruleset.triggers.setdefault(rule.language, []).append(rule)
    load_sections(folder / "sections.tsv", ruleset)
    ruleset.precedence = load_precedence(folder / "precedence.tsv")
    cues_path = folder / "language_cues.tsv"
    for number, row in _rows(cues_path):
        language = _language(cues_path, number, row["language"])
        weight = float(row["weight"] or 1)
        if row["kind"] == "word":
            ruleset.cues.words.setdefault(language, {})[fold_full(row["cue"])] = weight
        elif row["kind"] == "chars":
            try:
                ruleset.cues.chars.append((language, regex.compile(row["cue"]), weight))
            except regex.error as exc:
                raise RuleError(f"{cues_path}:{number}: bad regex {row['cue']!r}: {exc}") from exc
        else:
            raise RuleError(f"{cues_path}:{number}: kind must be 'word' or 'chars'")
    words_path = folder / "abbreviations.tsv"
    abbreviations: set[str] = set()
    answers: set[str] = set()
    for number, row in _rows(words_path):
        if row["kind"] not in ("abbreviation", "answer"):
            raise RuleError(f"{words_path}:{number}: kind must be 'abbreviation' or 'answer'")
        (abbreviations if row["kind"] == "abbreviation" else answers).add(fold_full(row["word"]))
    ruleset.abbreviations = frozenset(abbreviations)
    ruleset.answers = frozenset(answers)
    words: dict[str, set[str]] = {}
    for number, row in _rows(folder / "list_conjunctions.tsv"):
        language = _language(folder / "list_conjunctions.tsv", number, row["language"])
        words.setdefault(language, set()).add(fold_full(row["word"]))
    ruleset.conjunctions = {language: frozenset(items) for language, items in words.items()}
    return ruleset
