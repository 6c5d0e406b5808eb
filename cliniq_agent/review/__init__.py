"""Review pages (one run: the source with every item's evidence highlighted, the record, excluded
mentions, reportability, the node timeline and the agent's candidates) and batch reports, as
self-contained offline HTML files. See ``cliniq-agent review`` and ``cliniq-agent report``."""

from cliniq_agent.review.render import render_review

__all__ = ["render_review"]
