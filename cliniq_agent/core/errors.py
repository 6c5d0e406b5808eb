"""Error types with the CLI exit codes they map to (documented in the README)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2


class CliniqError(Exception):
    """Base class: ``str(err)`` is the one-line message shown to the user."""

    exit_code = EXIT_INTERNAL


class InputError(CliniqError):
    """The input cannot be processed (unreadable, malformed, unsafe, empty, wrong type)."""

    exit_code = EXIT_BAD_INPUT


class UsageError(CliniqError):
    """A bad option or combination of options."""

    exit_code = EXIT_BAD_INPUT


class ModelError(CliniqError):
    """A local model file is missing or cannot be loaded."""

    exit_code = EXIT_BAD_INPUT


class BudgetExceeded(InputError):
    """The document took longer than the per-document time budget (too large or too hard to finish in time)."""


def one_line(text: str) -> str:
    """A message on one line: libxml2, pydantic and OS messages may span several; the CLI prints one."""
    return " ".join(text.split())
