"""Structured mutators for the fuzz suite: each input class is a function (rng, corpus) -> str | bytes.

The classes follow issue 15: byte flips and truncation of real CDA; element deletion, duplication and
reordering; hostile attribute values; deep nesting; re-encodings; entity/DTD/XInclude tricks; random Unicode,
control, bidi and zero-width characters; huge lines and many lines; JSON/HTML/FHIR where CDA is expected;
prompt-injection text. Every mutator is deterministic for a given ``random.Random`` state.
"""

from __future__ import annotations

import codecs
import json
import random
from collections.abc import Callable
from functools import lru_cache

from lxml import etree

from cliniq_agent.eval.fuzz_seeds import Corpus
from cliniq_agent.core.tsv import kb_table

Input = str | bytes
Mutator = Callable[[random.Random, Corpus], Input]

#: Written into a temporary file by the campaign and the tests; it must never appear in any output.
CANARY_TOKEN = "CLINIQ-FUZZ-CANARY-7f3a9c"

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=False)
_ODD_CHARS = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\u2066", "\u2069", "\u0000",
              "\u0007", "\u001b[31m", "\r", "\u2028", "\u2029", "\ufffd", "\U0001f9a0", "\u0301", "\u0660\u0661",
              "\ud7ff", "\ue000", "\uffff", "\x85", "\t", "&", "<", "]]>", "\\", "'", '"')
_ODD_VALUES = ("", " ", "٢٠٢٤٠١٠٥", "9" * 5000, "1e999999", "-0", "NaN", "Infinity", "20241399", "2024-13-45",
               "not a date", "x" * 20000, "Ñandú 😷 \u202e", "0" * 40, "<b>", "&amp;", "\u0000".replace("\u0000", ""),
               "1,2,3", "١٢٫٥", "12.5.6", "99999999999999999999999", "-1", "\u200b27836007\u200b", "27836007 OR 1=1")
_ENCODINGS = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "latin-1", "cp1252",
              "utf-8-sig", "cp500", "utf-7", "shift_jis", "koi8-r")
_DECLARED = ("UTF-16", "UTF-32", "EBCDIC-US", "cp500", "undefined", "base64", "rot13", "x-bogus-9", "ISO-8859-1",
             "utf-8", "UTF8", "us-ascii", "hz", "")


def _cda(rng: random.Random, corpus: Corpus) -> bytes:
    return rng.choice(corpus.cda)


def _text(rng: random.Random, corpus: Corpus) -> str:
    return rng.choice(corpus.texts)


def byte_flips(rng: random.Random, corpus: Corpus) -> Input:
    """Flip, insert or delete a few random bytes of a real eICR (half the time only digits change, so the
    document stays well-formed and codes, dates and values are what breaks)."""
    data = bytearray(_cda(rng, corpus))
    if rng.random() < 0.5:
        digits = [i for i, byte in enumerate(data) if 48 <= byte <= 57]
        for at in rng.sample(digits, min(len(digits), rng.randint(1, 40))):
            data[at] = rng.choice(b"0123456789")
        return bytes(data)
    for _ in range(rng.randint(1, 12)):
        at = rng.randrange(len(data))
        action = rng.random()
        if action < 0.5:
            data[at] ^= 1 << rng.randrange(8)
        elif action < 0.75:
            data[at:at] = bytes([rng.randrange(256)])
        else:
            del data[at]
    return bytes(data)


def truncation(rng: random.Random, corpus: Corpus) -> Input:
    data = _cda(rng, corpus)
    return data[: rng.randrange(1, len(data))]


def _tree(rng: random.Random, corpus: Corpus) -> etree._Element:
    return etree.fromstring(_cda(rng, corpus), parser=_SAFE_PARSER)


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def element_ops(rng: random.Random, corpus: Corpus) -> Input:
    """Delete, duplicate, reorder or move elements (a document that is well-formed but not as expected)."""
    root = _tree(rng, corpus)
    for _ in range(rng.randint(1, 8)):
        elements = [el for el in root.iter() if isinstance(el.tag, str) and el is not root]
        if not elements:
            break
        el = rng.choice(elements)
        parent = el.getparent()
        action = rng.randrange(5)
        if action == 0:
            parent.remove(el)
        elif action == 1:
            for _ in range(rng.choice((1, 1, 2, 50))):
                parent.insert(parent.index(el), _copy(el))
        elif action == 2:
            children = list(parent)
            rng.shuffle(children)
            parent[:] = children
        elif action == 3:
            target = rng.choice(elements)
            if el not in target.iterancestors() and target is not el and el not in list(target.iter()):
                parent.remove(el)
                target.append(el)
        else:
            el.text = rng.choice(_ODD_VALUES)
    return _serialize(root)


def _copy(el: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(el), parser=_SAFE_PARSER)


def attributes(rng: random.Random, corpus: Corpus) -> Input:
    """Attribute values that are empty, huge, non-ASCII, odd numbers/dates, or nullFlavor."""
    root = _tree(rng, corpus)
    elements = [el for el in root.iter() if isinstance(el.tag, str) and el.attrib]
    for el in rng.sample(elements, min(len(elements), rng.randint(1, 10))):
        name = rng.choice(list(el.attrib))
        choice = rng.random()
        if choice < 0.2:
            del el.attrib[name]
            el.set("nullFlavor", rng.choice(("UNK", "NI", "OTH", "MSK", "", "bogus")))
        elif choice < 0.3:
            el.set(name, _xml_safe(el.get(name) + rng.choice(_ODD_CHARS)))
        else:
            el.set(name, _xml_safe(rng.choice(_ODD_VALUES)))
    return _serialize(root)


def _xml_safe(value: str) -> str:
    return "".join(ch for ch in value if ch in "\t\n\r" or ord(ch) >= 0x20 and not 0xD800 <= ord(ch) <= 0xDFFF
                   and ch not in "\ufffe\uffff")


def deep_nesting(rng: random.Random, corpus: Corpus) -> Input:
    depth = rng.choice((50, 255, 300, 1000, 5000, 20000))
    kind = rng.randrange(5)
    if kind == 0:
        return b"[" * depth + b"]" * depth
    if kind == 1:
        return '{"a":' * depth + "1" + "}" * depth
    if kind == 2:
        inner = "<list><item>" * depth + "deep" + "</item></list>" * depth
        return _cda(rng, corpus).replace(b"</text>", inner.encode() + b"</text>", 1)
    if kind == 3:
        return "(" * depth + "measles" + ")" * depth
    inner = "<entry>" * depth + "</entry>" * depth
    return _cda(rng, corpus).replace(b"</section>", inner.encode() + b"</section>", 1)


def encodings(rng: random.Random, corpus: Corpus) -> Input:
    """Re-encode with and without a BOM, and declare an encoding the bytes are not in."""
    use_cda = rng.random() < 0.6
    text = _cda(rng, corpus).decode("utf-8") if use_cda else _text(rng, corpus)
    action = rng.randrange(3)
    if action == 0:
        encoding = rng.choice(_ENCODINGS)
        if use_cda:
            text = text.replace('encoding="UTF-8"', f'encoding="{encoding}"', 1)
        data = text.encode(encoding, errors="replace")
        if rng.random() < 0.5:  # strip the BOM Python wrote, if any
            for bom in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8):
                if data.startswith(bom):
                    data = data[len(bom):]
                    break
        return data
    if action == 1:
        declared = rng.choice(_DECLARED)
        body = text.split("?>", 1)[1] if text.startswith("<?xml") else text
        return f'<?xml version="1.0" encoding="{declared}"?>{body}'.encode("utf-8")
    return rng.choice((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF32_LE, b"")) + text.encode("utf-8")


def xml_attacks(rng: random.Random, corpus: Corpus, canary: str = "/nonexistent/canary.txt") -> Input:
    """Entities, DTDs (internal, external, parameter), XInclude, DOCTYPE hidden in other encodings or prologues,
    and DOCTYPE text inside comments / CDATA (which must not refuse a valid document)."""
    cda = _cda(rng, corpus).decode("utf-8")
    body = cda.split("?>", 1)[1] if cda.startswith("<?xml") else cda
    ref = "&e;"
    decls = (
        '<!ENTITY e "injected">',
        f'<!ENTITY e SYSTEM "file://{canary}">',
        '<!ENTITY e SYSTEM "http://127.0.0.1:9/x">',
        f'<!ENTITY % p SYSTEM "file://{canary}"> %p;<!ENTITY e "x">',
        '<!ENTITY % p "<!ENTITY e \'pe\'>"> %p;',
        '<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY e "&b;&b;&b;&b;&b;&b;&b;&b;">',
    )
    kind = rng.randrange(8)
    if kind <= 2:
        doc = f'<?xml version="1.0"?>\n<!DOCTYPE ClinicalDocument [{rng.choice(decls)}]>\n' + body
        doc = doc.replace("<title>", f"<title>{ref}", 1).replace("</paragraph>", f"{ref}</paragraph>", 1)
        doc = doc.replace('displayName="', f'displayName="{ref}', rng.randint(0, 3))
        if kind == 1:
            return doc.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>', 1).encode("utf-16")
        if kind == 2:
            return doc.replace("<!DOCTYPE", "<!--" + " " * rng.choice((70000, 140000)) + "-->\n<!DOCTYPE", 1).encode()
        return doc.encode()
    if kind == 3:
        return (f'<?xml version="1.0"?><!DOCTYPE ClinicalDocument SYSTEM "file://{canary}">' + body).encode()
    if kind == 4:
        include = (f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file://{canary}" parse="text"/>')
        return cda.replace("<title>", "<title>" + include, 1).encode()
    if kind == 5:  # DOCTYPE only inside a comment or CDATA: a valid document
        hidden = rng.choice(("<!-- <!DOCTYPE x [<!ENTITY e 'x'>]> -->", "<![CDATA[<!DOCTYPE x>]]>"))
        where = "</title>" if "CDATA" in hidden else "<component>"
        return cda.replace(where, (hidden + where) if "CDATA" in hidden else (where + hidden), 1).encode()
    if kind == 6:
        return cda.replace("<title>", "<title>&undefined;&#xD800;&#0;&#x110000;", 1).encode()
    return ('<?xml version="1.0"?><?xml-stylesheet href="file:///etc/passwd"?>' + body).encode()


def unicode_noise(rng: random.Random, corpus: Corpus) -> Input:
    """Random Unicode, control, bidi and zero-width characters in notes and in CDA text; lone surrogates in str."""
    if rng.random() < 0.4:
        text = _text(rng, corpus)
        pieces = list(text)
        for _ in range(rng.randint(1, 30)):
            at = rng.randrange(len(pieces) + 1)
            pieces.insert(at, rng.choice(_ODD_CHARS + ("\ud800", "\udfff")) if rng.random() < 0.7 else
                          chr(rng.randrange(0x20, 0x10FFFF)))
        joined = "".join(pieces)
        return joined if rng.random() < 0.5 else joined.encode("utf-8", errors="surrogatepass")
    root = _tree(rng, corpus)
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    for el in rng.sample(elements, min(len(elements), rng.randint(1, 15))):
        noise = "".join(rng.choice(_ODD_CHARS) for _ in range(rng.randint(1, 6)))
        el.text = _xml_safe((el.text or "") + noise)
    return _serialize(root)


def long_inputs(rng: random.Random, corpus: Corpus, *, max_bytes: int = 40_000) -> Input:
    """A huge single line, or very many short lines (size capped by ``max_bytes``)."""
    size = rng.randint(max_bytes // 4, max_bytes)
    unit = rng.choice((_text(rng, corpus).replace("\n", " ") + " ", "Dx: measles\n", "fever; ", "a" * 97 + "\n",
                       "\n", "Lab: WBC 12.5 x10^3/uL (LOINC 6690-2) - High\n", "<" * 10, "(SNOMED 27836007) "))
    text = (unit * (size // max(1, len(unit)) + 1))[:size]
    if rng.random() < 0.3:
        return _cda(rng, corpus).replace(b"</paragraph>", text.replace("<", "&lt;").replace("&", "&amp;")
                                         .encode() + b"</paragraph>", 1)
    return text


def wrong_format(rng: random.Random, corpus: Corpus) -> Input:
    """JSON, HTML, FHIR (JSON and XML), HL7 v2, CSV or an RR where an eICR is expected."""
    text = _text(rng, corpus)
    options = (
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Condition"}}]}),
        json.dumps({"note": text}), json.dumps([text]), "[1, 2", '{"unterminated": ',
        f"<html><body><h1>Report</h1><p>{text}</p></body></html>", f"<!DOCTYPE html><html><p>{text}</p></html>",
        '<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/></Bundle>',
        "MSH|^~\\&|LAB|HOSP|||20260312||ORU^R01|1|P|2.5.1\rOBX|1|CE|94500-6^SARS-CoV-2^LN||260373001^Detected^SCT\r",
        "id,loinc,value\n1,94500-6,positive\n", f"# Report\n\n* {text}\n", "\x89PNG\r\n\x1a\n" + "\x00" * 40,
        '<ClinicalDocument xmlns="urn:hl7-org:v3"/>', "<ClinicalDocument>" + text + "</ClinicalDocument>",
        '<?xml version="1.0"?><x:ClinicalDocument xmlns:x="urn:other"/>', "{}", "[]", "null", "0", "<3",
    )
    return rng.choice(options)


@lru_cache(maxsize=1)
def injection_phrasings() -> tuple[str, ...]:
    """Instruction-like text that tries to make the engine emit codes (kb/fuzz/injection_phrasings.tsv)."""
    return tuple(row["text"] for row in kb_table("fuzz", "injection_phrasings.tsv"))


def injection(rng: random.Random, corpus: Corpus) -> Input:
    """Prompt-injection phrasings alone, inside a note, or inside CDA narrative."""
    phrase = rng.choice(injection_phrasings())
    where = rng.randrange(3)
    if where == 0:
        return phrase
    if where == 1:
        lines = _text(rng, corpus).splitlines()
        lines.insert(rng.randrange(len(lines) + 1), phrase)
        return "\n".join(lines)
    escaped = phrase.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _cda(rng, corpus).replace(b"</text>", escaped.encode() + b"</text>", 1)


CLASSES: dict[str, Mutator] = {
    "byte_flips": byte_flips,
    "truncation": truncation,
    "element_ops": element_ops,
    "attributes": attributes,
    "deep_nesting": deep_nesting,
    "encodings": encodings,
    "xml_attacks": xml_attacks,
    "unicode_noise": unicode_noise,
    "long_inputs": long_inputs,
    "wrong_format": wrong_format,
    "injection": injection,
}
