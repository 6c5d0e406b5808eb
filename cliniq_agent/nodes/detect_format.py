"""detect_format: CDA XML, known-format clinician text, or narrative — and refuse anything else; then the
route the document takes (known-format text goes to the fast path when a model may run)."""

from __future__ import annotations

import json
from typing import Any

from cliniq_agent.core.errors import InputError
from cliniq_agent.text.lines.labels import known_format_likelihood
from cliniq_agent.core.state import DocFormat, Route, RunOptions, RunState, SourceDocument
from cliniq_agent.core.xmlsafe import is_clinical_document, parse_xml
from cliniq_agent.text.doc import TextDoc

KNOWN_FORMAT_THRESHOLD = 0.6  # share of non-blank lines that carry a known label


def detect_format(state: RunState) -> dict[str, Any]:
    source = state["source"]
    if source.looks_like_xml:
        root = parse_xml(source.raw, name=source.name, recover=state["options"].recover_xml)
        if not is_clinical_document(root):
            raise InputError(f"{source.name}: XML root <{root.tag}> is not an HL7 CDA ClinicalDocument")
        return {"format": "cda", "route": "cda", "xml_root": root}
    _refuse_json(source)
    fmt = text_format(source.doc)
    return {"format": fmt, "route": choose_route(fmt, state["options"])}


def choose_route(fmt: DocFormat, options: RunOptions) -> Route:
    if fmt == "known_format":
        return "fast_path" if options.use_llm else "known_format"
    return fmt


def text_format(doc: TextDoc) -> DocFormat:
    return "known_format" if known_format_likelihood(doc) >= KNOWN_FORMAT_THRESHOLD else "narrative"


def _refuse_json(source: SourceDocument) -> None:
    head = source.text.lstrip()[:1]
    if head in "{[":
        try:
            json.loads(source.text)
        except ValueError:
            return
        except RecursionError:  # nested deeper than the parser goes: JSON all the same
            pass
        raise InputError(f"{source.name}: JSON input (e.g. a FHIR bundle) is not an eICR; pass the CDA XML or the report text")
