"""HTML rendering of review pages and batch reports: one self-contained file each.

The CSS and the script are inlined from the package's ``assets/``; a Content-Security-Policy allows only
that script (by its hash), no network of any kind (``default-src 'none'``) and no forms, so even if some
text escaped the autoescaping it could neither run nor call out. The page opens from disk, offline.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from cliniq_agent.review.page import build_page
from cliniq_agent.trace.store import RunTrace


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=PackageLoader("cliniq_agent.review", "assets"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    return (files("cliniq_agent.review") / "assets" / name).read_text(encoding="utf-8")


def content_security_policy(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")


def render_template(name: str, script: str | None = None, **context: Any) -> str:
    script = script or ""
    return _environment().get_template(name).render(
        css=Markup(asset("review.css")), js=Markup(script), csp=content_security_policy(script), **context)


def render_review(trace: RunTrace, rr: RunTrace | None = None) -> str:
    """The review page of one stored run (with the run of its Reportability Response, when one was given)."""
    return render_template("review.html", script=asset("review.js"), trace=trace, page=build_page(trace, rr))
