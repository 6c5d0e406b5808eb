"""Read and decode one input safely: size cap, binary sniffing, BOM/declared encodings.

Every rejection is an ``InputError`` with one clear line; nothing is guessed silently.
"""

from __future__ import annotations

import codecs
import hashlib
import sys
from pathlib import Path

import regex

from cliniq_agent.errors import InputError
from cliniq_agent.state import SourceDocument

MAX_INPUT_BYTES = 64 * 1024 * 1024
_XML_DECL = regex.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = set(range(0, 32)) - {9, 10, 12, 13}
_MAX_PATH_CHARS = 4096
#: A single token ending in a document file extension ("eicr.xml", "C:\\in\\note.txt"): a file name, not a note.
_PATH_LIKE = regex.compile(r"\S+\.(?:xml|cda|txt|json|hl7|zip)", regex.IGNORECASE)


def read_source(source: str | bytes | Path, *, name: str | None = None) -> SourceDocument:
    """Turn a path, ``-`` (stdin), raw bytes or a text string into a SourceDocument.

    A ``str`` is always the document's text, never a file name: files are read only when given as a
    ``Path``. A one-line string that names an existing file, or looks like a file name, is refused with a
    clear message instead of being read as a (meaningless) note — and a service that passes request
    bodies as ``str`` can never be made to read local files.
    """
    if isinstance(source, Path):
        raw, name = _read_path(source), name or str(source)
    elif isinstance(source, bytes):
        raw, name = source, name or "<bytes>"
    elif isinstance(source, str):
        if source == "-":
            raw, name = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1), name or "<stdin>"
        else:
            _refuse_path_like(source)
            raw, name = source.encode("utf-8"), name or "<text>"
    else:
        raise InputError(f"unsupported input type {type(source).__name__}; pass str, bytes or Path")
    return decode(raw, name=name)


def _refuse_path_like(text: str) -> None:
    candidate = text.strip()
    if "\n" in candidate or not candidate or len(candidate) > _MAX_PATH_CHARS:
        return
    names_file = False
    try:
        names_file = Path(candidate).expanduser().exists()
    except (OSError, ValueError):  # not a possible path (NUL, too long): it is text
        pass
    if names_file or _PATH_LIKE.fullmatch(candidate):
        raise InputError(f"{candidate!r} looks like a file name, not a document: pass pathlib.Path({candidate!r}) "
                         "to read a file, or the document's text")


def _read_path(path: Path) -> bytes:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected an eICR file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise InputError(f"{path}: {size} bytes is over the {MAX_INPUT_BYTES // 2**20} MiB input limit")
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})") from err


def decode(raw: bytes, *, name: str) -> SourceDocument:
    """Decode bytes honouring a BOM or an XML declaration; refuse empty or binary input."""
    if len(raw) > MAX_INPUT_BYTES:
        raise InputError(f"{name}: input is over the {MAX_INPUT_BYTES // 2**20} MiB limit")
    if not raw.strip():
        raise InputError(f"{name}: input is empty")
    encoding = _encoding_of(raw)
    if encoding in ("utf-8", "utf-8-sig") and _looks_binary(raw):
        raise InputError(f"{name}: input looks binary; expected an eICR (CDA XML) or clinical text")
    try:
        text = raw.decode(encoding)
    except LookupError as err:
        raise InputError(f"{name}: unknown character encoding '{encoding}'") from err
    except UnicodeDecodeError as err:
        raise InputError(
            f"{name}: not valid {encoding} (byte 0x{raw[err.start]:02x} at offset {err.start}); "
            "re-encode the file as UTF-8"
        ) from err
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InputError(f"{name}: input is empty")
    return SourceDocument(
        name=name,
        raw=raw,
        text=text,
        sha256=hashlib.sha256(raw).hexdigest(),
        looks_like_xml=text.lstrip().startswith("<"),
    )


def _encoding_of(raw: bytes) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return encoding
    match = _XML_DECL.match(raw[:512])
    if match:
        return match.group(1).decode("ascii").lower()
    return "utf-8"


def _looks_binary(raw: bytes) -> bool:
    head = raw[:8192]
    if b"\x00" in head:
        return True
    control = sum(1 for byte in head if byte in _CONTROL)
    return control > max(8, len(head) // 100)
