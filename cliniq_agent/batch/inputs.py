"""Turn batch inputs (files, folders, globs, .zip archives, ``-`` for paths on stdin) into cases.

A case is one document to extract, with its Reportability Response when the eCR delivery layout pairs
them: a folder (or a folder inside a zip) that holds ``CDA_eICR.xml`` is one case, and its
``CDA_RR.xml`` rides along as the RR. Every other document file is a case of its own. Case ids are the
input's path relative to the root it was found under, so outputs mirror the input tree and are stable
between runs (``--resume`` relies on that).
"""

from __future__ import annotations

import glob
import os
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict

from cliniq_agent.core.errors import InputError, UsageError
from cliniq_agent.core.ingest import MAX_INPUT_BYTES

#: File types taken when walking a folder or an archive (a file named explicitly is always taken).
DOCUMENT_SUFFIXES = frozenset({".xml", ".txt", ".cda", ".text"})
EICR_NAME = "cda_eicr.xml"
RR_NAME = "cda_rr.xml"


class Member(BaseModel):
    """Where one document's bytes are: a file, or a member of a zip archive."""

    model_config = ConfigDict(frozen=True)

    path: str  # the file, or the archive
    member: str | None = None  # the member inside ``path`` when it is a zip

    @property
    def display(self) -> str:
        return f"{self.path}!{self.member}" if self.member else self.path

    def read(self) -> bytes:
        """The document's bytes, refusing anything over the input size limit (zip bombs included)."""
        if self.member is None:
            from cliniq_agent.core.ingest import read_source  # one place for the path checks and messages

            return read_source(Path(self.path)).raw
        try:
            with zipfile.ZipFile(self.path) as archive:
                info = archive.getinfo(self.member)
                if info.file_size > MAX_INPUT_BYTES:
                    raise InputError(f"{self.display}: {info.file_size} bytes is over the input limit")
                with archive.open(info) as stream:
                    data = stream.read(MAX_INPUT_BYTES + 1)
        except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError) as err:
            raise InputError(f"{self.display}: cannot read from the archive ({err})") from err
        if len(data) > MAX_INPUT_BYTES:
            raise InputError(f"{self.display}: over the input limit")
        return data


class Case(BaseModel):
    """One unit of batch work: a document, its optional RR, and the id its outputs are named by."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    document: Member
    rr: Member | None = None

    @property
    def display(self) -> str:
        return self.document.display

    @property
    def rr_display(self) -> str | None:
        return self.rr.display if self.rr else None


def collect_cases(inputs: Iterable[str], *, stdin_lines: Iterable[str] | None = None) -> list[Case]:
    """Every case named by ``inputs`` (``-`` reads one path per line from stdin), in a stable order.

    Raises UsageError when an input names nothing (a missing file, an empty glob): a typo must not
    silently shrink a batch. Unreadable documents are *not* refused here; they become rejected rows.
    """
    cases: list[Case] = []
    for item in inputs:
        if item == "-":
            lines = stdin_lines if stdin_lines is not None else sys.stdin
            for line in lines:
                if line.strip():
                    cases += _expand(line.strip(), explicit=True)
        else:
            cases += _expand(item, explicit=True)
    return _unique_ids(cases)


def _expand(item: str, *, explicit: bool) -> list[Case]:
    path = Path(item).expanduser()
    if glob.has_magic(item) and not path.exists():
        matches = sorted(glob.glob(os.path.expanduser(item), recursive=True))
        if not matches:
            raise UsageError(f"{item}: the pattern matches no file")
        return [case for match in matches for case in _expand(match, explicit=False)]
    if path.is_dir():
        return _walk_folder(path)
    if path.is_file() and zipfile.is_zipfile(path) and path.suffix.lower() == ".zip":
        return _walk_zip(path)
    if path.is_file():
        return [Case(case_id=path.name, document=Member(path=str(path)))]
    if explicit:
        raise UsageError(f"{item}: no such file or folder")
    return []


def _walk_folder(root: Path) -> list[Case]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and not _hidden(p.relative_to(root).parts))
    relative = [PurePosixPath(p.relative_to(root).as_posix()) for p in files]
    members = {rel: Member(path=str(p)) for rel, p in zip(relative, files)}
    return _pair(root.name, members)


def _walk_zip(archive: Path) -> list[Case]:
    try:
        with zipfile.ZipFile(archive) as handle:
            names = [info.filename for info in handle.infolist() if not info.is_dir()]
    except (OSError, zipfile.BadZipFile) as err:
        raise UsageError(f"{archive}: not a readable zip archive ({err})") from err
    members = {_safe(name): Member(path=str(archive), member=name) for name in sorted(names)
               if not _hidden(PurePosixPath(name).parts)}
    return _pair(archive.stem, members)


def _pair(root_name: str, members: dict[PurePosixPath, Member]) -> list[Case]:
    """eICR + RR folders become one case each; other document files one case each."""
    by_folder: dict[PurePosixPath, dict[str, PurePosixPath]] = {}
    for rel in members:
        by_folder.setdefault(rel.parent, {})[rel.name.lower()] = rel
    cases: list[Case] = []
    paired: set[PurePosixPath] = set()
    for folder, names in by_folder.items():
        if EICR_NAME in names:
            eicr, rr = names[EICR_NAME], names.get(RR_NAME)
            paired.update(p for p in (eicr, rr) if p is not None)
            case_id = str(PurePosixPath(root_name) / folder) if folder.parts else root_name
            cases.append(Case(case_id=case_id, document=members[eicr], rr=members[rr] if rr else None))
    for rel, member in members.items():
        if rel not in paired and rel.suffix.lower() in DOCUMENT_SUFFIXES:
            cases.append(Case(case_id=str(PurePosixPath(root_name) / rel), document=member))
    return sorted(cases, key=lambda case: case.case_id)


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") and part != ".." or part == "__MACOSX" for part in parts)


def _safe(member_name: str) -> PurePosixPath:
    """A zip member's name without root, ``.`` or ``..`` parts: ids and output paths stay inside the batch."""
    parts = [part for part in PurePosixPath(member_name.replace("\\", "/")).parts if part not in ("/", ".", "..")]
    return PurePosixPath(*parts) if parts else PurePosixPath("unnamed")


def _unique_ids(cases: list[Case]) -> list[Case]:
    """Drop a document named twice (same file via two inputs); number ids that still collide."""
    seen_documents: set[Member] = set()
    taken: dict[str, int] = {}
    unique: list[Case] = []
    for case in cases:
        if case.document in seen_documents:
            continue
        seen_documents.add(case.document)
        case_id = case.case_id
        if case_id in taken:
            taken[case_id] += 1
            case_id = f"{case_id}~{taken[case.case_id]}"
        taken.setdefault(case_id, 1)
        unique.append(case.model_copy(update={"case_id": case_id}))
    return unique
