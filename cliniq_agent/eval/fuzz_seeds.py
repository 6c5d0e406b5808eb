"""Seed documents for the fuzz suite: the project's own examples/ plus synthetic eICRs and notes built here.

Nothing here reads ../shared: the seeds are the repository's examples (when the source tree is present) and
documents generated from a seed, so the same seed gives the same corpus on every machine. The synthetic eICR
follows the eICR STU 3.1.1 shapes the parser reads (problems, results, medications, vitals, immunizations,
social history with pregnancy and travel), with values drawn from small lists of real codes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

_PROBLEMS = (("27836007", "Pertussis"), ("14189004", "Measles"), ("36989005", "Mumps"), ("840539006", "COVID-19"),
             ("6142004", "Influenza"), ("386661006", "Fever"), ("49727002", "Cough"))
_RESULTS = (("548-8", "Bordetella pertussis [Presence] in Throat by Organism specific culture"),
            ("35275-7", "Measles virus IgM Ab [Presence] in Serum"), ("94500-6", "SARS-CoV-2 RNA [Presence] in Respiratory"),
            ("6690-2", "Leukocytes [#/volume] in Blood by Automated count"))
_MEDS = (("248656", "Azithromycin 500 MG Oral Tablet"), ("308182", "Amoxicillin 250 MG Oral Capsule"))
_VACCINES = (("106", "DTaP, 5 pertussis antigens"), ("03", "MMR"), ("208", "COVID-19, mRNA"))
_NAMES = ("Rosa Delgado", "Tran Van Minh", "José Núñez", "Amélie Roux", "João Silva", "O'Brien-Smith Ann")
_PLACES = ("Guatemala City, Guatemala", "Lima, Peru", "Hà Nội, Việt Nam", "São Paulo, Brasil")

_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:sdtc="urn:hl7-org:sdtc" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <realmCode code="US"/><typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <templateId root="2.16.840.1.113883.10.20.22.1.1" extension="2015-08-01"/>
  <templateId root="2.16.840.1.113883.10.20.15.2" extension="2016-12-01"/>
  <id root="2.16.840.1.113883.19.5.99999.1" extension="fuzz-{n}"/>
  <code code="55751-2" codeSystem="2.16.840.1.113883.6.1" displayName="Public Health Case Report"/>
  <title>Initial Public Health Case Report</title><effectiveTime value="{when}"/>
  <recordTarget><patientRole><id root="2.16.840.1.113883.19.5.99999.2" extension="MRN-{n}"/>
    <addr use="H"><city>Madison</city><state>WI</state><postalCode>53703</postalCode></addr>
    <patient><name><given>{given}</given><family>{family}</family></name>
      <administrativeGenderCode code="{sex}" codeSystem="2.16.840.1.113883.5.1"/><birthTime value="{dob}"/></patient>
  </patientRole></recordTarget>
  <componentOf><encompassingEncounter><id root="2.16.840.1.113883.19.5.99999.3" extension="ENC-{n}"/>
    <code code="AMB" codeSystem="2.16.840.1.113883.5.4"/><effectiveTime><low value="{when}"/></effectiveTime>
  </encompassingEncounter></componentOf>
  <component><structuredBody>
"""
_SECTION = """    <component><section><templateId root="{template}"/><code code="{code}" codeSystem="2.16.840.1.113883.6.1"/>
      <title>{title}</title><text>{text}</text>
{entries}    </section></component>
"""
_PROBLEM = """      <entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.3"/>
        <code code="CONC" codeSystem="2.16.840.1.113883.5.6"/><effectiveTime><low value="{onset}"/></effectiveTime>
        <entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN" negationInd="{negated}">
          <templateId root="2.16.840.1.113883.10.20.22.4.4"/><templateId root="2.16.840.1.113883.10.20.15.2.3.3"/>
          <code code="282291009" codeSystem="2.16.840.1.113883.6.96"/><effectiveTime><low value="{onset}"/></effectiveTime>
          <value xsi:type="CD" code="{snomed}" codeSystem="2.16.840.1.113883.6.96" displayName="{name}"/>
        </observation></entryRelationship></act></entry>
"""
_RESULT = """      <entry><organizer classCode="BATTERY" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.1"/>
        <statusCode code="completed"/><component><observation classCode="OBS" moodCode="EVN">
          <templateId root="2.16.840.1.113883.10.20.22.4.2"/>
          <code code="{loinc}" codeSystem="2.16.840.1.113883.6.1" displayName="{name}"/>
          <statusCode code="completed"/><effectiveTime value="{when}"/>
          <value xsi:type="PQ" value="{value}" unit="{unit}"/><interpretationCode code="{interp}" codeSystem="2.16.840.1.113883.5.83"/>
        </observation></component></organizer></entry>
"""
_MED = """      <entry><substanceAdministration classCode="SBADM" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.16"/>
        <statusCode code="completed"/><effectiveTime value="{when}"/><consumable><manufacturedProduct>
          <templateId root="2.16.840.1.113883.10.20.22.4.23"/><manufacturedMaterial>
          <code code="{rxnorm}" codeSystem="2.16.840.1.113883.6.88" displayName="{name}"/></manufacturedMaterial>
        </manufacturedProduct></consumable></substanceAdministration></entry>
"""
_VACCINE = """      <entry><substanceAdministration classCode="SBADM" moodCode="EVN" negationInd="false">
        <templateId root="2.16.840.1.113883.10.20.22.4.52"/><statusCode code="completed"/><effectiveTime value="{when}"/>
        <consumable><manufacturedProduct><templateId root="2.16.840.1.113883.10.20.22.4.54"/><manufacturedMaterial>
          <code code="{cvx}" codeSystem="2.16.840.1.113883.12.292" displayName="{name}"/></manufacturedMaterial>
        </manufacturedProduct></consumable></substanceAdministration></entry>
"""
_TRAVEL = """      <entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.15.2.3.1"/>
        <code code="420008001" codeSystem="2.16.840.1.113883.6.96" displayName="Travel"/><text>{place}</text>
        <statusCode code="completed"/><effectiveTime><low value="{start}"/><high value="{end}"/></effectiveTime>
      </act></entry>
      <entry><observation classCode="OBS" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.15.3.8"/>
        <code code="ASSERTION" codeSystem="2.16.840.1.113883.5.4"/><statusCode code="completed"/>
        <value xsi:type="CD" code="77386006" codeSystem="2.16.840.1.113883.6.96" displayName="Pregnant"/>
        <entryRelationship typeCode="REFR"><observation classCode="OBS" moodCode="EVN">
          <templateId root="2.16.840.1.113883.10.20.15.3.1"/>
          <code code="11778-8" codeSystem="2.16.840.1.113883.6.1"/><value xsi:type="TS" value="{due}"/>
        </observation></entryRelationship></observation></entry>
"""
_FOOTER = "  </structuredBody></component>\n</ClinicalDocument>\n"

_KNOWN_FORMAT = """Patient: {patient}
Gender: {sex}
DOB: {dob}
Encounter: {when}
Reason: {reason}
Dx: {problem} (SNOMED {snomed})
Lab: {lab} (LOINC {loinc}) - {result}
Vitals: Temp 38.{d}C, HR 1{d}0, RR 2{d}, SpO2 9{d}%
Meds: {med} (RxNorm {rxnorm})
"""
_NARRATIVE = ("Seen on {when} with {d} days of fever and cough. {problem} suspected; {lab} sent and came back {result}. "
              "Started {med}. Denies rash. Mother had {other} as a child. Travelled to {place} last month.")


def _date(rng: random.Random, start: int = 1990, end: int = 2026) -> str:
    return f"{rng.randint(start, end)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"


def synthetic_cda(rng: random.Random, n: int = 0) -> str:
    """A small, valid eICR with 1-3 entries per section and randomised values."""
    given, family = rng.choice(_NAMES).split(" ", 1)
    head = _HEADER.format(n=n, when=_date(rng, 2024), given=given, family=family, sex=rng.choice("MFU"),
                          dob=_date(rng, 1930, 2024))
    problems = [rng.choice(_PROBLEMS) for _ in range(rng.randint(1, 3))]
    results = [rng.choice(_RESULTS) for _ in range(rng.randint(1, 3))]
    sections = [
        ("2.16.840.1.113883.10.20.22.2.5.1", "11450-4", "Problems", "; ".join(p[1] for p in problems),
         "".join(_PROBLEM.format(onset=_date(rng, 2024), negated=rng.choice(("false", "false", "true")),
                                 snomed=code, name=name) for code, name in problems)),
        ("2.16.840.1.113883.10.20.22.2.3.1", "30954-2", "Results", "; ".join(r[1] for r in results),
         "".join(_RESULT.format(loinc=code, name=name, when=_date(rng, 2024), value=rng.choice(("12.5", "0.3", "7", "1,200")),
                                unit=rng.choice(("mg/dL", "10*3/uL", "%", "[IU]/L")), interp=rng.choice("HLNA"))
                 for code, name in results)),
        ("2.16.840.1.113883.10.20.22.2.38", "29549-3", "Medications administered", "Given in clinic.",
         "".join(_MED.format(when=_date(rng, 2024), rxnorm=code, name=name) for code, name in [rng.choice(_MEDS)])),
        ("2.16.840.1.113883.10.20.22.2.2.1", "11369-6", "Immunizations", "History of immunizations.",
         "".join(_VACCINE.format(when=_date(rng), cvx=code, name=name) for code, name in [rng.choice(_VACCINES)])),
        ("2.16.840.1.113883.10.20.22.2.17", "29762-2", "Social history", "Travel and pregnancy.",
         _TRAVEL.format(place=rng.choice(_PLACES), start=_date(rng, 2025), end=_date(rng, 2025), due=_date(rng, 2026))),
        ("1.3.6.1.4.1.19376.1.5.3.1.3.4", "10164-2", "History of present illness",
         _NARRATIVE.format(**_text_values(rng)), ""),
    ]
    rng.shuffle(sections)
    body = "".join(_SECTION.format(template=t, code=c, title=title, text=text, entries=entries)
                   for t, c, title, text, entries in sections)
    return head + body + _FOOTER


def _text_values(rng: random.Random) -> dict[str, str]:
    problem = rng.choice(_PROBLEMS)
    lab = rng.choice(_RESULTS)
    med = rng.choice(_MEDS)
    return {
        "patient": rng.choice(_NAMES), "sex": rng.choice("MF"), "dob": "-".join((_date(rng)[:4], "03", "14")),
        "when": "2026-0{}-1{}".format(rng.randint(1, 9), rng.randint(0, 9)), "d": str(rng.randint(1, 9)),
        "reason": rng.choice(("fever and cough", "rash", "diarrhea after travel")), "problem": problem[1],
        "snomed": problem[0], "lab": lab[1], "loinc": lab[0], "result": rng.choice(("Positive", "Negative", "12.5 mg/dL")),
        "med": med[1], "rxnorm": med[0], "other": rng.choice(_PROBLEMS)[1], "place": rng.choice(_PLACES),
    }


def synthetic_known_format(rng: random.Random) -> str:
    return _KNOWN_FORMAT.format(**_text_values(rng))


def synthetic_narrative(rng: random.Random) -> str:
    return _NARRATIVE.format(**_text_values(rng))


@dataclass(frozen=True)
class Corpus:
    """Seed documents: eICRs as bytes, notes as text."""

    cda: tuple[bytes, ...]
    texts: tuple[str, ...]


def build_corpus(seed: int = 0, *, synthetic: int = 12, extra_cda: tuple[Path, ...] = ()) -> Corpus:
    """examples/ (when present), ``synthetic`` generated eICRs and notes of each kind, and ``extra_cda`` files."""
    rng = random.Random(seed)
    cda: list[bytes] = []
    texts: list[str] = []
    if EXAMPLES.is_dir():
        for path in sorted(EXAMPLES.iterdir()):
            if path.suffix == ".xml":
                cda.append(path.read_bytes())
            elif path.suffix == ".txt":
                texts.append(path.read_text(encoding="utf-8"))
    cda += [synthetic_cda(rng, n).encode("utf-8") for n in range(synthetic)]
    cda += [path.read_bytes() for path in extra_cda]
    texts += [synthetic_known_format(rng) for _ in range(synthetic)]
    texts += [synthetic_narrative(rng) for _ in range(synthetic)]
    return Corpus(tuple(cda), tuple(texts))
