"""The RR cross-check as a terminal table (``cliniq-agent trace show``), read back from the run's trace step."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from cliniq_agent.rrcheck.models import RrCheck


def rr_check_of(steps: list[Any]) -> RrCheck | None:
    """The cross-check recorded in a run's steps (the ``rr_check`` step), if the run had an RR."""
    for step in steps:
        if step.node == "rr_check" and step.outputs.get("rr_check"):
            return RrCheck.model_validate(step.outputs["rr_check"])
    return None


def render_rr_check(check: RrCheck, console: Console) -> None:
    table = Table(title=f"RR cross-check ({check.rr_source})")
    for column in ("condition group", "status", "RR codes", "engine", "RR determinations", "evidence / why not"):
        table.add_column(column, overflow="fold")
    for item in check.items:
        determinations = "\n".join(
            f"{d.jurisdiction or '?'}: {d.label or d.code or '-'}" + (f", {d.timeframe}" if d.timeframe else "")
            + "".join(f"\n  rule: {rule}" for rule in d.rules)
            for d in item.determinations)
        engine = ", ".join(item.engine_codes) + (f" ({item.engine_confidence:.2f})" if item.engine_confidence else "")
        why = "\n".join(item.engine_evidence) if item.engine_evidence else (
            f"{item.reason}: {item.reason_text}" + (f" — {item.reason_detail}" if item.reason_detail else "")
            if item.reason else "")
        table.add_row(f"{item.group_name or ''} {item.group}", item.status.replace("_", " "),
                      ", ".join(item.rr_codes), engine, determinations, why)
    console.print(table)
