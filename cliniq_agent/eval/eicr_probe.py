"""A systematic reportability probe: minimal eICRs written from scratch, one trigger placed and encoded many ways.

Unseen eICRs differ from the visible ones in which conditions and trigger codes they carry and in how vendors
encode them. This generator takes every national RCTC condition our kb can recognise (its SNOMED condition code,
an ICD-10-CM code under its icd10cm_reportable prefix, a LOINC test whose kb display names it, the organism its
lab link names) and writes one small eICR per (variation, condition): the trigger code in a Problem / Encounter
Diagnosis / Result / Plan of Treatment / Past Medical History entry, coded plainly or as vendors do (translation
either way, code only, displayName only, nullFlavor OTH + originalText, URN / lower-case OIDs, ICD-10-CM without
its dot or deeper than the table, result CD / ST / interpretation only), with and without the eICR trigger-code
templates and sdtc:valueSet, negated, negative, resolved or historical. Each case carries what the reportability
should be: the condition, or nothing (negated, negative, resolved / past history, an order alone: an order is
never a result, see ``extract_lab_order``). Templates per HL7 CDA R2 IG eICR STU 1.1 / 3.1.1 and C-CDA R2.1;
nothing comes from any shared sample file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from cliniq_agent.eval.eicr_templates import (
    ICD10, LOINC, RCTC, SECTIONS, SNOMED, cd, concern, document, encounter_dx, family, order_entry, problem_obs,
    result_entry, tr,
)
from cliniq_agent.terminology import TerminologyKB
from cliniq_agent.terminology.normalize import strip_semantic_tag


@dataclass(frozen=True)
class Target:
    """One national reportable condition and the trigger codes the kb has for it."""

    condition: str
    display: str                 # RCTC name without the semantic tag
    icd10: str | None = None
    icd10_display: str | None = None
    loinc: str | None = None
    loinc_display: str | None = None
    organism: str | None = None  # an organism name its lab link matches (for culture results)


@dataclass(frozen=True)
class Variation:
    kind: str                    # "<where>/<how>", reported per kind
    needs: str                   # snomed | icd10 | loinc | organism
    positive: bool               # does the entry alone make the condition reportable?
    section: str                 # key of SECTIONS
    entry: Callable[[Target], str]


@dataclass(frozen=True)
class ProbeCase:
    case_id: str
    kind: str
    condition: str
    xml: str
    expected: frozenset[str]


# ------------------------------------------------------------------------------------------------ variations
def _v(t: Target, **kw) -> str:
    return cd("value", t.condition, SNOMED, t.display, xsi=True, **kw)


def _vi(t: Target, **kw) -> str:
    return cd("value", t.icd10, ICD10, t.icd10_display, xsi=True, **kw)


def _deeper(code: str) -> str:
    """A child one character deeper than the code (ICD-10-CM codes have at most 7 characters)."""
    return f"{code}9" if "." in code else f"{code}.9"


@lru_cache(maxsize=1)
def _unknown_snomed() -> str:
    """A SNOMED CT-shaped concept id (partition 10, Verhoeff digit) the kb does not know: a descendant concept
    our tables lack, as vendors send."""
    from cliniq_agent.validate.codes import check_code

    kb = TerminologyKB.load()
    for item in range(99999901, 99999000, -1):
        for digit in "0123456789":
            code = f"{item}10{digit}"
            if check_code("snomed", code) is None and kb.lookup("snomed", code) is None:
                return code
    raise RuntimeError("no unknown SNOMED-shaped id found")


def _prob(value: str, **kw) -> str:
    return concern(problem_obs(value, **kw))


_OTH = '<value xsi:type="CD" nullFlavor="OTH"><originalText>{}</originalText>{}</value>'
_REF = '<value xsi:type="CD" nullFlavor="OTH"><originalText><reference value="#probe1"/></originalText></value>'
_ST = '<value xsi:type="ST">{}</value>'


def _test(t: Target, **kw) -> str:
    return cd("code", t.loinc, LOINC, t.loinc_display, **kw)


def _culture() -> str:
    return cd("code", "6463-4", LOINC, "Bacteria identified in Specimen by Culture")


def _cd_value(code: str, display: str | None) -> str:
    return cd("value", code, SNOMED, display, xsi=True)


VARIATIONS: tuple[Variation, ...] = (
    # where the code sits (plain encoding)
    Variation("problem/snomed", "snomed", True, "problems", lambda t: _prob(_v(t))),
    Variation("problem/icd10", "icd10", True, "problems", lambda t: _prob(_vi(t))),
    Variation("encounter-dx/snomed", "snomed", True, "encounters", lambda t: encounter_dx(problem_obs(_v(t)))),
    Variation("encounter-dx/icd10", "icd10", True, "encounters", lambda t: encounter_dx(problem_obs(_vi(t)))),
    Variation("encounter-dx/icd10+trigger", "icd10", True, "encounters",
              lambda t: encounter_dx(problem_obs(_vi(t, extra=RCTC), trigger=True))),
    Variation("result/test-loinc+CD-detected", "loinc", True, "results",
              lambda t: result_entry(_test(t), _cd_value("260373001", "Detected"))),
    Variation("result/culture-organism-ST", "organism", True, "results",
              lambda t: result_entry(_culture(), _ST.format(escape(t.organism.capitalize())))),
    Variation("result/culture-organism-OTH", "organism", True, "results",
              lambda t: result_entry(_culture(), _OTH.format(escape(t.organism.capitalize()), ""))),
    Variation("result/unknown-loinc+name", "organism", True, "results",
              lambda t: result_entry(cd("code", _unknown_loinc(), LOINC,
                                    f"{t.organism.capitalize()} DNA [Presence] in Specimen by NAA with probe detection"),
                                _ST.format("Detected"))),
    # how it is encoded (problem entry)
    Variation("problem/snomed+icd10-translation", "icd10", True, "problems",
              lambda t: _prob(_v(t, inner=tr(t.icd10, ICD10, t.icd10_display)))),
    Variation("problem/icd10+snomed-translation", "icd10", True, "problems",
              lambda t: _prob(_vi(t, inner=tr(t.condition, SNOMED, t.display)))),
    Variation("problem/snomed-code-only", "snomed", True, "problems",
              lambda t: _prob(cd("value", t.condition, SNOMED, xsi=True))),
    Variation("problem/icd10-code-only", "icd10", True, "problems",
              lambda t: _prob(cd("value", t.icd10, ICD10, xsi=True))),
    Variation("problem/icd10-no-dot", "icd10", True, "problems",
              lambda t: _prob(cd("value", t.icd10.replace(".", ""), ICD10, xsi=True))),
    Variation("problem/icd10-lower-case", "icd10", True, "problems",
              lambda t: _prob(cd("value", t.icd10.lower(), ICD10, xsi=True))),
    Variation("problem/icd10-deeper-than-table", "icd10_short", True, "problems",
              lambda t: _prob(cd("value", _deeper(t.icd10), ICD10, xsi=True))),
    Variation("problem/snomed-urn-oid", "snomed", True, "problems",
              lambda t: _prob(cd("value", t.condition, "urn:oid:" + SNOMED, xsi=True))),
    Variation("problem/icd10-system-name-only", "icd10", True, "problems",
              lambda t: _prob(cd("value", t.icd10, None, xsi=True, extra='codeSystemName="ICD-10-CM"'))),
    Variation("problem/snomed-system-name-only", "snomed", True, "problems",
              lambda t: _prob(cd("value", t.condition, None, xsi=True, extra='codeSystemName="SNOMED CT"'))),
    Variation("problem/OTH+originalText", "snomed", True, "problems",
              lambda t: _prob(_OTH.format(escape(t.display), ""))),
    Variation("problem/OTH+originalText+icd10-translation", "icd10", True, "problems",
              lambda t: _prob(_OTH.format(escape(t.icd10_display), tr(t.icd10, ICD10)))),
    Variation("problem/displayName-only", "snomed", True, "problems",
              lambda t: _prob(cd("value", None, None, t.display, xsi=True))),
    Variation("problem/originalText-reference", "snomed", True, "problems",
              lambda t: (f'<content ID="probe1">{escape(t.display)}</content>', _prob(_REF))),
    Variation("problem/snomed+trigger+valueSet", "snomed", True, "problems",
              lambda t: _prob(_v(t, extra=RCTC), trigger=True)),
    Variation("problem/icd10+trigger+valueSet", "icd10", True, "problems",
              lambda t: _prob(_vi(t, extra=RCTC), trigger=True)),
    Variation("problem/icd10+trigger-no-valueSet", "icd10", True, "problems",
              lambda t: _prob(_vi(t), trigger=True)),
    Variation("problem/icd10+valueSet-no-trigger", "icd10", True, "problems", lambda t: _prob(_vi(t, extra=RCTC))),
    Variation("problem/unknown-snomed+icd10-description", "icd10", True, "problems",
              lambda t: _prob(cd("value", _unknown_snomed(), SNOMED, t.icd10_display, xsi=True))),
    Variation("problem/unknown-snomed+icd10-translation-code-only", "icd10", True, "problems",
              lambda t: _prob(cd("value", _unknown_snomed(), SNOMED, xsi=True, inner=tr(t.icd10, ICD10)))),
    Variation("problem/icd10-code-under-WHO-ICD-10-OID", "icd10", True, "problems",
              lambda t: _prob(cd("value", t.icd10, "2.16.840.1.113883.6.3", xsi=True))),
    Variation("discharge-dx/icd10", "icd10", True, "discharge", lambda t: _prob(_vi(t))),
    Variation("problem/icd10-in-code-element-no-value", "icd10", True, "problems",
              lambda t: _prob("").replace(
                  '<code code="282291009" codeSystem="2.16.840.1.113883.6.96" displayName="Diagnosis"/>',
                  cd("code", t.icd10, ICD10, t.icd10_display))),
    # resolution dates that do not make a problem history
    Variation("problem/resolved-after-encounter-began", "snomed", True, "problems",
              lambda t: concern(problem_obs(_v(t), resolved=True).replace(
                  '<low value="20190301"/><high value="20190320"/>', '<low value="20240301"/><high value="20240305"/>'),
                  status="completed")),
    Variation("problem/concern-completed+high-nullFlavor", "icd10", True, "problems",
              lambda t: concern(problem_obs(_vi(t)).replace(
                  '<low value="20240301"/></effectiveTime>', '<low value="20240301"/><high nullFlavor="UNK"/></effectiveTime>'),
                  status="completed")),
    # how a result reads
    Variation("result/local-code+loinc-translation", "loinc", True, "results",
              lambda t: result_entry(cd("code", "LAB1234", "2.16.840.1.113883.19.5.99", "Lab test",
                                    inner=tr(t.loinc, LOINC, t.loinc_display)), _ST.format("Positive"))),
    Variation("result/CD-Positive", "loinc", True, "results",
              lambda t: result_entry(_test(t), _cd_value("10828004", "Positive"))),
    Variation("result/CD-Present", "loinc", True, "results",
              lambda t: result_entry(_test(t), _cd_value("52101004", "Present"))),
    *(Variation(f"result/LOINC-answer-{name}{'-code-only' if bare else ''}", "loinc", True, "results",
                lambda t, c=code, n=name, b=bare: result_entry(_test(t), cd("value", c, LOINC, None if b else n, xsi=True)))
      for code, name in (("LA11882-0", "Detected"), ("LA6576-8", "Positive")) for bare in (False, True)),
    *(Variation(f"result/ST-{word}", "loinc", True, "results", lambda t, w=word: result_entry(_test(t), _ST.format(w)))
      for word in ("Detected", "Positive", "Reactive", "DETECTED", "positive", "POS", "Detected (Abnormal)",
                   "POSITIVE (A)", "Reactive*")),
    *(Variation(f"result/interpretation-{flag}", "loinc", True, "results",
                lambda t, f=flag: result_entry(_test(t), _ST.format("See comment"), interp=f))
      for flag in ("POS", "DET", "A", "H", "ABN")),
    Variation("result/loinc-code-only+ST-Positive", "loinc", True, "results",
              lambda t: result_entry(cd("code", t.loinc, LOINC), _ST.format("Positive"))),
    Variation("result/trigger+valueSet", "loinc", True, "results",
              lambda t: result_entry(_test(t, extra=RCTC), _ST.format("Positive"), trigger=True)),
    # nothing to report
    Variation("negated/problem", "snomed", False, "problems", lambda t: _prob(_v(t), negated=True)),
    Variation("negated/problem+trigger", "icd10", False, "problems",
              lambda t: _prob(_vi(t, extra=RCTC), trigger=True, negated=True)),
    Variation("negated/result", "loinc", False, "results",
              lambda t: result_entry(_test(t), _cd_value("260373001", "Detected"), negated=True)),
    Variation("resolved/problem", "snomed", False, "problems",
              lambda t: concern(problem_obs(_v(t), resolved=True), status="completed")),
    Variation("history/past-medical-history", "icd10", False, "history", lambda t: _prob(_vi(t))),
    Variation("history/past-medical-history+trigger", "icd10", False, "history",
              lambda t: _prob(_vi(t, extra=RCTC), trigger=True)),
    Variation("family/history", "snomed", False, "family", lambda t: family(_v(t))),
    *(Variation(f"negative/ST-{word}", "loinc", False, "results", lambda t, w=word: result_entry(_test(t), _ST.format(w)))
      for word in ("Negative", "NEGATIVE", "Non-reactive", "None detected", "Not Detected (Normal)",
                   "Negative for this organism")),
    *(Variation(f"negative/LOINC-answer-{name}{'-code-only' if bare else ''}", "loinc", False, "results",
                lambda t, c=code, n=name, b=bare: result_entry(_test(t), cd("value", c, LOINC, None if b else n, xsi=True)))
      for code, name in (("LA11883-8", "Not detected"), ("LA6577-6", "Negative")) for bare in (False, True)),
    Variation("negative/ST-Not-detected", "loinc", False, "results",
              lambda t: result_entry(_test(t), _ST.format("Not detected"))),
    Variation("negative/CD-not-detected", "loinc", False, "results",
              lambda t: result_entry(_test(t), _cd_value("260415000", "Not detected"))),
    Variation("negative/interpretation-N", "loinc", False, "results",
              lambda t: result_entry(_test(t), _ST.format("See comment"), interp="N")),
    Variation("negative/interpretation-NEG", "loinc", False, "results",
              lambda t: result_entry(_test(t), _ST.format("See comment"), interp="NEG")),
    Variation("negative/culture-none-isolated", "organism", False, "results",
              lambda t: result_entry(_culture(), _ST.format(f"No {escape(t.organism)} isolated"))),
    Variation("order/RQO", "loinc", False, "plan", lambda t: order_entry(_test(t))),
    Variation("order/INT", "loinc", False, "plan", lambda t: order_entry(_test(t)).replace('moodCode="RQO"', 'moodCode="INT"')),
    Variation("order/RQO+trigger+valueSet", "loinc", False, "plan",
              lambda t: order_entry(_test(t, extra=RCTC), trigger=True)),
)


@lru_cache(maxsize=1)
def _unknown_loinc_code() -> str:
    """A LOINC-shaped code with a valid check digit that the kb does not know (a test new to us)."""
    from cliniq_agent.validate.codes import loinc_check_digit

    kb = TerminologyKB.load()
    for number in range(99990, 99000, -1):
        code = f"{number}-{loinc_check_digit(str(number))}"
        if kb.lookup("loinc", code) is None:
            return code
    raise RuntimeError("no unknown LOINC-shaped code found")


def _unknown_loinc() -> str:
    return _unknown_loinc_code()


# ------------------------------------------------------------------------------------------------- targets
_LITERAL = re.compile(r"^[a-z][a-z ]{4,}[a-z]$")


def targets(kb: TerminologyKB | None = None) -> list[Target]:
    """Every national condition with at least its SNOMED condition code; ICD-10-CM / LOINC / organism when known."""
    kb = kb or TerminologyKB.load()
    icd: dict[str, tuple[str, str]] = {}
    for concept in kb.concepts("icd10"):
        link = kb.icd10_condition(concept.code)
        if link is not None and link.strength == "precise" and concept.code not in ("",):
            known = icd.get(link.condition)
            if known is None or (len(concept.code) > len(known[0])):  # the deepest code the table holds
                icd[link.condition] = (concept.code, concept.display)
    loinc: dict[str, tuple[str, str]] = {}
    for concept in sorted(kb.concepts("loinc"), key=lambda c: c.code):
        for lab in kb.lab_links(concept.code):
            if not lab.row.quantitative:
                loinc.setdefault(lab.link.condition, (concept.code, concept.display))
    organisms: dict[str, str] = {}
    for link in kb.text_links.links:
        if link.use in ("lab", "any") and not link.quantitative and not link.require:
            first = link.source.split("|", 1)[0]
            if _LITERAL.match(first) and kb.result_organisms(first):
                organisms.setdefault(link.condition, first)
    found = []
    for condition in kb.conditions:
        if condition.scope != "national":
            continue
        code = icd.get(condition.snomed)
        test = loinc.get(condition.snomed)
        found.append(Target(condition.snomed, strip_semantic_tag(condition.rctc_name),
                            icd10=code[0] if code else None, icd10_display=code[1] if code else None,
                            loinc=test[0] if test else None, loinc_display=test[1] if test else None,
                            organism=organisms.get(condition.snomed)))
    return found


def _has(target: Target, needs: str) -> bool:
    if needs == "icd10_short":
        return target.icd10 is not None and len(target.icd10.replace(".", "")) < 7
    return needs == "snomed" or getattr(target, needs) is not None


def cases(kb: TerminologyKB | None = None, *, every: int = 1) -> list[ProbeCase]:
    """One case per (variation, condition that has what it needs); ``every`` > 1 takes a deterministic sample."""
    out: list[ProbeCase] = []
    for index, variation in enumerate(VARIATIONS):
        eligible = [t for t in targets(kb) if _has(t, variation.needs)]
        for position, target in enumerate(eligible):
            if every > 1 and (position + index) % every:
                continue
            built = variation.entry(target)
            narrative, entry = built if isinstance(built, tuple) else ("", built)
            xml = document(variation.section, entry)
            if narrative:
                title = SECTIONS[variation.section][2]
                xml = xml.replace(f"<text>{title}</text>", f"<text>{narrative}</text>", 1)
            expected = frozenset({target.condition}) if variation.positive else frozenset()
            out.append(ProbeCase(f"{variation.kind}:{target.condition}", variation.kind, target.condition, xml,
                                 expected))
    return out


# ------------------------------------------------------------------------------------------------- running
#: Variation kinds the engine does not get right on purpose, and why (the test checks they stay as described).
KNOWN_GAPS = {
    "problem/icd10-deeper-than-table": (
        "an ICD-10-CM code missing from the shipped release (simple-icd-10-cm) fails validation and is dropped; "
        "a newer release is brought in with the terminology import (user ICD-10-CM table), not guessed from a parent"),
}


def predict(case: ProbeCase) -> set[str]:
    """The case through the real engine (format detection, CDA parser, merge/validate, reportability; no model)."""
    from cliniq_agent.api import extract

    return {r.snomed for r in extract(case.xml, use_llm=False, persist_trace=False).record.reportable}


def run(probe: list[ProbeCase]):
    """One benchmark row per variation kind: micro P/R over the expected conditions, cases missed and falsely
    reported (a negative kind has no gold: its precision shows its false reports)."""
    import time

    from cliniq_agent.eval.runner import SuiteResult
    from cliniq_agent.eval.scoring import CaseScore

    rows: dict[str, SuiteResult] = {}
    for case in probe:
        row = rows.setdefault(case.kind, SuiteResult(dataset="eICR probe", variant=case.kind, cases=0,
                                                     extra={"missed": "0", "false": "0"}))
        clock = time.perf_counter()
        predicted = predict(case)
        row.latencies_ms.append((time.perf_counter() - clock) * 1000)
        row.wall_s += row.latencies_ms[-1] / 1000
        row.cases += 1
        row.valid_json += 1
        row.codes.add(set(case.expected), predicted)
        missed, extra = sorted(case.expected - predicted), sorted(predicted - case.expected)
        if missed or extra:
            row.misses.append(CaseScore(case_id=case.case_id, missed=missed, extra=extra))
            row.extra["missed"] = str(int(row.extra["missed"]) + bool(missed))
            row.extra["false"] = str(int(row.extra["false"]) + bool(extra))
    return list(rows.values())
