"""Minimal eICR documents written from scratch for the reportability probe (cliniq_agent.eval.eicr_probe).

Templates per HL7 CDA R2 IG eICR STU 1.1 (2016-12-01) / STU 3.1.1 and C-CDA R2.1: document header with
encompassingEncounter, Problem Concern Act + Problem Observation (22.4.3 / 22.4.4), Encounter Activity + Encounter
Diagnosis (22.4.49 / 22.4.80), Result Organizer + Result Observation (22.4.1 / 22.4.2), Planned Observation (22.4.44),
Family History Organizer (22.4.45 / 22.4.46), Medication Activity (22.4.16), Travel History (eICR 15.2.3.1), and the
eICR trigger-code templates (15.2.3.3 problem, 15.2.3.2 result, 15.2.3.4 lab order) with sdtc:valueSet. Nothing comes
from any sample file.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

SNOMED, ICD10, LOINC, RXNORM = ("2.16.840.1.113883.6.96", "2.16.840.1.113883.6.90", "2.16.840.1.113883.6.1",
                                "2.16.840.1.113883.6.88")
RCTC = 'sdtc:valueSet="2.16.840.1.114222.4.11.7508" sdtc:valueSetVersion="2023-10-06"'
T_PROBLEM, T_RESULT, T_ORDER = ("2.16.840.1.113883.10.20.15.2.3.3", "2.16.840.1.113883.10.20.15.2.3.2",
                                "2.16.840.1.113883.10.20.15.2.3.4")



# ---------------------------------------------------------------------------------------------- XML pieces
def cd(tag: str, code: str | None, system: str | None, display: str | None = None, *, xsi: bool = False,
        extra: str = "", inner: str = "") -> str:
    attrs = ' xsi:type="CD"' if xsi else ""
    attrs += f' code="{escape(code)}"' if code else ""
    attrs += f' codeSystem="{system}"' if system else ""
    attrs += f' displayName="{escape(display, {chr(34): "&quot;"})}"' if display else ""
    return f"<{tag}{attrs}{(' ' + extra) if extra else ''}>{inner}</{tag}>" if inner else f"<{tag}{attrs}{(' ' + extra) if extra else ''}/>"


def tr(code: str, system: str, display: str | None = None) -> str:
    return cd("translation", code, system, display)


def problem_obs(value: str, *, trigger: bool = False, negated: bool = False, resolved: bool = False) -> str:
    tids = '<templateId root="2.16.840.1.113883.10.20.22.4.4" extension="2015-08-01"/>'
    if trigger:
        tids += f'<templateId root="{T_PROBLEM}" extension="2016-12-01"/>'
    neg = ' negationInd="true"' if negated else ""
    time = ('<effectiveTime><low value="20190301"/><high value="20190320"/></effectiveTime>' if resolved
            else '<effectiveTime><low value="20240301"/></effectiveTime>')
    status = ('<entryRelationship typeCode="REFR"><observation classCode="OBS" moodCode="EVN">'
              '<templateId root="2.16.840.1.113883.10.20.22.4.6"/><code code="33999-4" codeSystem="2.16.840.1.113883.6.1"/>'
              '<statusCode code="completed"/><value xsi:type="CD" code="413322009" codeSystem="2.16.840.1.113883.6.96" '
              'displayName="Resolved"/></observation></entryRelationship>') if resolved else ""
    return (f'<observation classCode="OBS" moodCode="EVN"{neg}>{tids}<id root="1.2.3.4" extension="p1"/>'
            '<code code="282291009" codeSystem="2.16.840.1.113883.6.96" displayName="Diagnosis"/>'
            f'<statusCode code="completed"/>{time}{value}{status}</observation>')


def concern(obs: str, *, status: str = "active") -> str:
    return ('<entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.3" '
            'extension="2015-08-01"/><id root="1.2.3.4" extension="c1"/><code code="CONC" codeSystem="2.16.840.1.113883.5.6"/>'
            f'<statusCode code="{status}"/><effectiveTime><low value="20240301"/></effectiveTime>'
            f'<entryRelationship typeCode="SUBJ">{obs}</entryRelationship></act></entry>')


def encounter_dx(obs: str) -> str:
    return ('<entry><encounter classCode="ENC" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.49" '
            'extension="2015-08-01"/><id root="1.2.3.4" extension="e1"/><code code="99213" '
            'codeSystem="2.16.840.1.113883.6.12" displayName="Office visit"/><effectiveTime value="20240301"/>'
            '<entryRelationship typeCode="REFR"><act classCode="ACT" moodCode="EVN"><templateId '
            'root="2.16.840.1.113883.10.20.22.4.80" extension="2015-08-01"/><code code="29308-4" '
            'codeSystem="2.16.840.1.113883.6.1" displayName="Diagnosis"/><statusCode code="active"/>'
            f'<entryRelationship typeCode="SUBJ">{obs}</entryRelationship></act></entryRelationship>'
            '</encounter></entry>')


def result_entry(code: str, value: str, *, interp: str | None = None, trigger: bool = False,
            negated: bool = False) -> str:
    tids = '<templateId root="2.16.840.1.113883.10.20.22.4.2" extension="2015-08-01"/>'
    if trigger:
        tids += f'<templateId root="{T_RESULT}" extension="2016-12-01"/>'
    neg = ' negationInd="true"' if negated else ""
    flag = f'<interpretationCode code="{interp}" codeSystem="2.16.840.1.113883.5.83"/>' if interp else ""
    return ('<entry><organizer classCode="BATTERY" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.1" '
            'extension="2015-08-01"/><id root="1.2.3.4" extension="o1"/><code nullFlavor="UNK"/>'
            '<statusCode code="completed"/><effectiveTime value="20240302"/><component>'
            f'<observation classCode="OBS" moodCode="EVN"{neg}>{tids}<id root="1.2.3.4" extension="r1"/>{code}'
            f'<statusCode code="completed"/><effectiveTime value="20240302"/>{value}{flag}</observation>'
            '</component></organizer></entry>')


def order_entry(code: str, *, trigger: bool = False) -> str:
    tids = '<templateId root="2.16.840.1.113883.10.20.22.4.44" extension="2014-06-09"/>'
    if trigger:
        tids += f'<templateId root="{T_ORDER}" extension="2016-12-01"/>'
    return (f'<entry><observation classCode="OBS" moodCode="RQO">{tids}<id root="1.2.3.4" extension="q1"/>{code}'
            '<statusCode code="active"/><effectiveTime value="20240301"/></observation></entry>')


SECTIONS = {  # key -> (templateId, LOINC, title)
    "problems": ("2.16.840.1.113883.10.20.22.2.5.1", "11450-4", "Problems"),
    "encounters": ("2.16.840.1.113883.10.20.22.2.22.1", "46240-8", "Encounters"),
    "results": ("2.16.840.1.113883.10.20.22.2.3.1", "30954-2", "Results"),
    "plan": ("2.16.840.1.113883.10.20.22.2.10", "18776-5", "Plan of Treatment"),
    "history": ("2.16.840.1.113883.10.20.22.2.20", "11348-0", "Past Medical History"),
    "discharge": ("2.16.840.1.113883.10.20.22.2.24", "11535-2", "Discharge Diagnosis"),
    "family": ("2.16.840.1.113883.10.20.22.2.15", "10157-6", "Family History"),
    "meds_given": ("2.16.840.1.113883.10.20.22.2.38", "29549-3", "Medications Administered"),
    "social": ("2.16.840.1.113883.10.20.22.2.17", "29762-2", "Social History"),
}

_BACKGROUND = {  # what every probe document also carries: no reportable condition in any of it
    "meds_given": ('<entry><substanceAdministration classCode="SBADM" moodCode="EVN"><templateId '
                   'root="2.16.840.1.113883.10.20.22.4.16" extension="2014-06-09"/><id root="1.2.3.4" extension="m1"/>'
                   '<statusCode code="completed"/><effectiveTime xsi:type="IVL_TS"><low value="20240301"/></effectiveTime>'
                   '<consumable><manufacturedProduct classCode="MANU"><templateId root="2.16.840.1.113883.10.20.22.4.23" '
                   'extension="2014-06-09"/><manufacturedMaterial><code code="313782" codeSystem="2.16.840.1.113883.6.88" '
                   'displayName="Acetaminophen 325 MG Oral Tablet"/></manufacturedMaterial></manufacturedProduct>'
                   '</consumable></substanceAdministration></entry>'),
    "social": ('<entry><act classCode="ACT" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.15.2.3.1" '
               'extension="2016-12-01"/><id root="1.2.3.4" extension="t1"/><code code="420008001" '
               'codeSystem="2.16.840.1.113883.6.96" displayName="Travel"/><text>Recent travel</text>'
               '<statusCode code="completed"/><effectiveTime><low value="20240210"/><high value="20240220"/></effectiveTime>'
               '<participant typeCode="LOC"><participantRole classCode="TERR"><addr><country>MX</country></addr>'
               '</participantRole></participant></act></entry>'),
}


def document(section: str, entry: str, *, version: str = "2016-12-01") -> str:
    """A minimal eICR (header, encounter, the probe's section and the background sections)."""
    bodies = dict(_BACKGROUND)
    bodies[section] = bodies.get(section, "") + entry
    sections = "".join(
        f'<component><section><templateId root="{tid}" extension="2015-08-01"/><code code="{code}" '
        f'codeSystem="2.16.840.1.113883.6.1"/><title>{title}</title><text>{title}</text>{bodies[key]}</section>'
        '</component>' for key, (tid, code, title) in SECTIONS.items() if key in bodies)
    return ('<?xml version="1.0" encoding="UTF-8"?><ClinicalDocument xmlns="urn:hl7-org:v3" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:sdtc="urn:hl7-org:sdtc">'
            '<realmCode code="US"/><typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>'
            '<templateId root="2.16.840.1.113883.10.20.22.1.1" extension="2015-08-01"/>'
            f'<templateId root="2.16.840.1.113883.10.20.15.2" extension="{version}"/><id root="1.2.3.4.5"/>'
            '<code code="55751-2" codeSystem="2.16.840.1.113883.6.1" displayName="Public Health Case Report"/>'
            '<title>Initial Public Health Case Report</title><effectiveTime value="20240302120000-0500"/>'
            '<confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/><languageCode code="en-US"/>'
            '<setId root="1.2.3.4.6"/><versionNumber value="1"/><recordTarget><patientRole><id root="1.2.3.4.7" '
            'extension="MRN1"/><addr use="H"><streetAddressLine>1 Main St</streetAddressLine><city>Springfield</city>'
            '<state>IL</state><postalCode>62701</postalCode><country>US</country></addr><telecom use="HP" '
            'value="tel:+1-555-555-0100"/><patient><name use="L"><given>Alex</given><family>Probe</family></name>'
            '<administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/><birthTime value="19800101"/>'
            '</patient></patientRole></recordTarget><author><time value="20240302"/><assignedAuthor><id '
            'root="1.2.3.4.8"/><assignedAuthoringDevice><softwareName>probe</softwareName></assignedAuthoringDevice>'
            '</assignedAuthor></author><custodian><assignedCustodian><representedCustodianOrganization><id '
            'root="1.2.3.4.9"/><name>Probe Clinic</name></representedCustodianOrganization></assignedCustodian>'
            '</custodian><componentOf><encompassingEncounter><id root="1.2.3.4.10" extension="enc1"/><code '
            'code="AMB" codeSystem="2.16.840.1.113883.5.4"/><effectiveTime><low value="20240301"/></effectiveTime>'
            '</encompassingEncounter></componentOf><component><structuredBody>'
            f'{sections}</structuredBody></component></ClinicalDocument>')


def family(value: str) -> str:
    return ('<entry><organizer classCode="CLUSTER" moodCode="EVN"><templateId root="2.16.840.1.113883.10.20.22.4.45" '
            'extension="2015-08-01"/><id root="1.2.3.4" extension="f1"/><statusCode code="completed"/><subject>'
            '<relatedSubject classCode="PRS"><code code="MTH" codeSystem="2.16.840.1.113883.5.111" displayName="Mother"/>'
            '</relatedSubject></subject><component><observation classCode="OBS" moodCode="EVN"><templateId '
            'root="2.16.840.1.113883.10.20.22.4.46" extension="2015-08-01"/><id root="1.2.3.4" extension="f2"/>'
            '<code code="64572001" codeSystem="2.16.840.1.113883.6.96" displayName="Disease"/><statusCode '
            f'code="completed"/>{value}</observation></component></organizer></entry>')
