"""Compare the engine's reportable conditions with the RR's, per condition group, and say why they differ.

For a group the RR found (RRVS1/RRVS2) and the engine did not, the first reason that applies is reported, in
the order of kb/rrcheck/reasons.tsv: below the threshold, a negative result, a negated / excluded mention, a
mention only in narrative text, or no trigger code at all. The reasons come from what the run itself recorded
(reportability's below-threshold and skipped evidence, excluded mentions, CDA section narrative).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import regex

from cliniq_agent.reportability.determine import ReportabilityResult
from cliniq_agent.core.resources import kb_path
from cliniq_agent.rrcheck.groups import GroupTable, condition_groups
from cliniq_agent.rrcheck.models import RrCheck, RrCheckItem, RrCondition
from cliniq_agent.core.schema import Reportable
from cliniq_agent.core.state import ExcludedItem
from cliniq_agent.core.tsv import read_tsv
from cliniq_agent.terminology import TerminologyKB


_SENTENCE = regex.compile(r"\n|(?<=[.;!?])\s+")  # diagnosis patterns and their exclusions apply per sentence


@lru_cache(maxsize=1)
def reason_texts() -> dict[str, str]:
    return {row["reason"]: row["text"] for row in read_tsv(kb_path("rrcheck", "reasons.tsv"))}


def cross_check(rr_conditions: list[RrCondition], *, reportable: list[Reportable],
                assessment: ReportabilityResult | None, excluded: list[ExcludedItem],
                narratives: Iterable[tuple[str, str]], kb: TerminologyKB,
                rr_source: str | None = None, rr_sha256: str | None = None) -> RrCheck:
    """``narratives``: (section title, text) pairs of the eICR's narrative, for the only-in-narrative reason."""
    groups = condition_groups()
    engine: dict[str, list[Reportable]] = {}
    for item in reportable:
        engine.setdefault(groups.group(item.snomed), []).append(item)
    named: dict[str, list[RrCondition]] = {}
    for condition in rr_conditions:
        named.setdefault(condition.group, []).append(condition)
    narratives = list(narratives)
    items = []
    for group in sorted(set(engine) | set(named), key=lambda g: (groups.name(g) or g).lower()):
        rr_found = any(c.found for c in named.get(group, []))
        mine = engine.get(group, [])
        status = ("both" if mine else "rr_only") if rr_found else ("engine_only" if mine else "neither")
        item = RrCheckItem(
            group=group, group_name=groups.name(group), status=status,
            rr_codes=[c.code for c in named.get(group, [])], engine_codes=[r.snomed for r in mine],
            engine_confidence=max((r.confidence for r in mine), default=None),
            engine_evidence=[_trigger_text(t) for r in mine for t in r.triggers],
            determinations=[d for c in named.get(group, []) for d in c.determinations],
        )
        if status == "rr_only":
            _explain(item, groups, assessment, excluded, narratives, kb)
        items.append(item)
    summary = {status: sum(1 for i in items if i.status == status)
               for status in ("both", "engine_only", "rr_only", "neither")}
    return RrCheck(rr_source=rr_source, rr_sha256=rr_sha256, summary=summary, items=items)


def _trigger_text(trigger) -> str:
    text = f"{trigger.system} {trigger.code}" + (f" ({trigger.display})" if trigger.display else "")
    return text + (f" from {trigger.source}" if trigger.source else "")


def _explain(item: RrCheckItem, groups: GroupTable, assessment: ReportabilityResult | None,
             excluded: list[ExcludedItem], narratives: list[tuple[str, str]], kb: TerminologyKB) -> None:
    """Set the first reason (kb/rrcheck/reasons.tsv order) why the engine did not raise ``item.group``."""
    in_group = lambda code: code is not None and groups.group(code) == item.group  # noqa: E731
    found = None
    if assessment is not None:
        below = [r for r in assessment.below_threshold if in_group(r.snomed)]
        if below:
            found = ("below_threshold", "; ".join(f"{r.name} confidence {r.confidence:.2f}" for r in below))
        negative = [s for s in assessment.skipped if in_group(s.condition) and s.reason.startswith("result not positive")]
        if found is None and negative:
            found = ("negative_result", "; ".join(f"{s.system} {s.code}: {s.reason}" for s in negative))
    if found is None:
        hits = [e for e in excluded if any(in_group(c) for c in _excluded_conditions(e, kb))]
        if hits:
            found = ("negated", "; ".join(f"{e.kind} '{e.name or ''}': {e.reason}" for e in hits[:3]))
    if found is None:
        titles = [title for title, text in narratives
                  if any(in_group(link.condition) for sentence in _SENTENCE.split(text) for link in kb.dx_conditions(sentence))]
        if titles:
            found = ("only_in_narrative", "named in " + ", ".join(dict.fromkeys(titles)))
    reason, detail = found or ("no_trigger_code", None)
    item.reason, item.reason_text, item.reason_detail = reason, reason_texts().get(reason), detail


def _excluded_conditions(entry: ExcludedItem, kb: TerminologyKB) -> list[str]:
    """RCTC conditions an excluded mention would have pointed at."""
    data = entry.item
    conditions: list[str] = []
    snomed, icd10, loinc = (str(data.get(k) or "") for k in ("snomed", "icd10", "loinc"))
    if snomed and kb.condition(snomed) is not None:
        conditions.append(snomed)
    if icd10 and (link := kb.icd10_condition(icd10)) is not None:
        conditions.append(link.condition)
    if loinc or entry.kind == "labs":
        conditions += [link.condition for link in kb.lab_condition(loinc or None, entry.name)]
    elif entry.name:
        conditions += [link.condition for link in kb.dx_conditions(entry.name)]
    return conditions
