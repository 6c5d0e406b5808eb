"""Hardened XML parsing for untrusted eICRs: no DTDs, no entities, no network, no huge trees."""

from __future__ import annotations

import regex
from lxml import etree

from cliniq_agent.errors import InputError

CDA_NS = "urn:hl7-org:v3"
SDTC_NS = "urn:hl7-org:sdtc"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"cda": CDA_NS, "sdtc": SDTC_NS, "xsi": XSI_NS}

_DOCTYPE = regex.compile(rb"<!DOCTYPE|<!ENTITY", regex.IGNORECASE)


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        recover=recover,
    )


def parse_xml(raw: bytes, *, name: str, recover: bool = False) -> etree._Element:
    """Parse ``raw`` or raise InputError. DOCTYPE/ENTITY declarations are refused outright:
    an eICR never needs them, and they are how XXE and billion-laughs payloads arrive."""
    if _DOCTYPE.search(raw[:65536]):
        raise InputError(f"{name}: XML with a DOCTYPE or entity declarations is refused (XXE/entity-expansion risk)")
    try:
        root = etree.fromstring(raw, parser=_parser(recover))
    except etree.XMLSyntaxError as err:
        line = f" (line {err.lineno})" if getattr(err, "lineno", None) else ""
        raise InputError(f"{name}: malformed XML{line}: {err.msg}") from err
    except ValueError as err:
        raise InputError(f"{name}: unreadable XML: {err}") from err
    if root is None:
        raise InputError(f"{name}: no XML element could be recovered")
    return root


def is_clinical_document(root: etree._Element) -> bool:
    return etree.QName(root).localname == "ClinicalDocument" and etree.QName(root).namespace in (CDA_NS, None)
