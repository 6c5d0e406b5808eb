"""Full ICD-10-CM from the simple-icd-10-cm package, imported lazily (the import parses XML for ~2.5 s)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType


@lru_cache(maxsize=1)
def _package() -> ModuleType:
    import simple_icd_10_cm  # noqa: PLC0415

    return simple_icd_10_cm


@lru_cache(maxsize=1)
def package_version() -> str:
    try:
        return f"simple-icd-10-cm {version('simple-icd-10-cm')}"
    except PackageNotFoundError:  # pragma: no cover - declared dependency
        return "simple-icd-10-cm (not installed)"


def describe(code: str) -> tuple[str, str | None] | None:
    """(description, parent) of an ICD-10-CM code, category or block; None when unknown."""
    icd = _package()
    if not icd.is_valid_item(code):
        return None
    parent = icd.get_parent(code) or None
    return icd.get_description(code), parent


def iter_codes() -> Iterator[tuple[str, str, str | None]]:
    """Every ICD-10-CM category and code (chapters and blocks left out) with description and parent."""
    icd = _package()
    for code in icd.get_all_codes(True):
        if icd.is_category_or_subcategory(code) or icd.is_extended_subcategory(code):
            yield code, icd.get_description(code), icd.get_parent(code) or None
