"""Hardened XML parsing for untrusted eICRs: no DTDs, no entities, no network, no huge trees."""

from __future__ import annotations

import regex
from lxml import etree

from cliniq_agent.core.errors import InputError, one_line

CDA_NS = "urn:hl7-org:v3"
SDTC_NS = "urn:hl7-org:sdtc"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"cda": CDA_NS, "sdtc": SDTC_NS, "xsi": XSI_NS}

#: A numeric character reference (decimal or hex); recover mode keeps invalid ones as undecodable bytes.
_CHAR_REF = regex.compile(rb"&#(?:[xX](?P<hex>[0-9A-Fa-f]{1,16})|(?P<dec>[0-9]{1,20}));")
_REPLACEMENT_REF = b"&#xFFFD;"

#: Prefixes whose namespace their standard fixes. A document that uses one without declaring it (a common vendor
#: and hand-edit slip: ``xsi:type`` on a value, an ``sdtc:`` extension) is read as if its root declared it: the
#: meaning is not in doubt, and refusing the whole eICR for it loses every code in it. Any other undeclared prefix
#: stays an error.
_STANDARD_PREFIXES = {b"xsi": XSI_NS.encode(), b"sdtc": SDTC_NS.encode()}
_ROOT_TAG = regex.compile(rb"<(?![?!])[^\s/>]+(?P<attributes>[^>]*)")


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
    """Parse ``raw`` or raise InputError. A document with a DOCTYPE (internal subset, entity declarations,
    external DTD) is refused outright: an eICR never needs one, and it is how XXE and billion-laughs payloads
    arrive. The parser itself reports the DOCTYPE (whatever the encoding or the length of the prologue);
    entities are never loaded or expanded, so nothing is read before the refusal."""
    if recover:
        raw = _CHAR_REF.sub(_valid_char_ref, raw)
    try:
        try:
            root = etree.fromstring(raw, parser=_parser(recover))
        except etree.XMLSyntaxError as err:
            declared = _with_standard_prefixes(raw) if "Namespace prefix" in str(err.msg) else None
            if declared is None:
                raise
            root = etree.fromstring(declared, parser=_parser(recover))
    except etree.XMLSyntaxError as err:
        line = f" (line {err.lineno})" if getattr(err, "lineno", None) else ""
        hint = "" if recover else " (the recover option reads the complete elements of a damaged file)"
        raise InputError(f"{name}: malformed XML{line}: {one_line(err.msg)}{hint}") from err
    except (ValueError, LookupError) as err:
        raise InputError(f"{name}: unreadable XML: {one_line(str(err))}") from err
    if root is None:
        raise InputError(f"{name}: no XML element could be recovered")
    info = root.getroottree().docinfo
    if info.internalDTD is not None or info.doctype or info.system_url or info.public_id:
        raise InputError(f"{name}: XML with a DOCTYPE or entity declarations is refused (XXE/entity-expansion risk)")
    if recover:
        _check_decodable(root, name)
    return root


def _with_standard_prefixes(raw: bytes) -> bytes | None:
    """``raw`` with the standard prefixes it uses but never declares declared on its root, or None when there
    is none to add (the parse error was about another prefix)."""
    root = _ROOT_TAG.search(raw)
    if root is None:
        return None
    missing = [p for p in _STANDARD_PREFIXES if p + b":" in raw and b"xmlns:" + p not in root["attributes"]]
    if not missing:
        return None
    declarations = b"".join(b' xmlns:%s="%s"' % (p, _STANDARD_PREFIXES[p]) for p in missing)
    at = root.start("attributes")
    return raw[:at] + declarations + raw[at:]


def _valid_char_ref(match: regex.Match) -> bytes:
    """Keep a character reference to a legal XML character; replace any other with U+FFFD (recover mode)."""
    digits = match.group("hex") or match.group("dec")
    code = int(digits, 16 if match.group("hex") else 10)
    legal = code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF
    return match.group(0) if legal else _REPLACEMENT_REF


def _check_decodable(root: etree._Element, name: str) -> None:
    """Recover mode can keep text libxml2 itself could not decode; refuse it here, not deep in a section."""
    try:
        for node in root.iter():
            _ = (node.text, node.tail, list(node.attrib.values()))  # decoding them is the check
    except UnicodeDecodeError as err:
        raise InputError(f"{name}: unreadable characters in the recovered XML ({err.reason})") from err


def is_clinical_document(root: etree._Element) -> bool:
    return etree.QName(root).localname == "ClinicalDocument" and etree.QName(root).namespace in (CDA_NS, None)
