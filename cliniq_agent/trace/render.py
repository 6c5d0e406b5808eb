"""Readable timelines of runs for auditors (rich tables on stdout)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cliniq_agent.core.schema import ITEM_CODE_FIELDS
from cliniq_agent.trace.store import RunTrace

_ITEM_LISTS = ("conditions", "labs", "meds", "vitals", "immunizations", "reportable")


def render_list(runs: list[RunTrace], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="cliniq-agent runs (newest first)")
    for column in ("run id", "started", "source", "route", "status", "ms"):
        table.add_column(column)
    for run in runs:
        table.add_row(run.run_id, run.started_at, run.source_name or "", run.route or "", run.status,
                      f"{run.duration_ms:.0f}" if run.duration_ms is not None else "")
    console.print(table)


def render_run(run: RunTrace, console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"[bold]run[/bold] {run.run_id}  status={run.status}  route={run.route}  format={run.format}")
    console.print(f"source {run.source_name}  sha256={run.source_sha256}  started {run.started_at}  "
                  f"total {run.duration_ms or 0:.1f} ms  version {run.version}")
    if run.error:
        console.print(f"[red]error:[/red] {run.error}")
    timeline = Table(title="timeline")
    for column in ("#", "node", "ms", "what it did"):
        timeline.add_column(column)
    for seq, step in enumerate(run.steps, 1):
        timeline.add_row(str(seq), step.node, f"{step.duration_ms:.1f}", step.summary)
    console.print(timeline)
    if run.record:
        items = Table(title="items and their evidence")
        for column in ("list", "item", "codes", "evidence"):
            items.add_column(column, overflow="fold")
        for list_name in _ITEM_LISTS:
            for item in run.record.get(list_name, []) or []:
                codes = ", ".join(f"{f}={item[f]}" for f in ITEM_CODE_FIELDS if item.get(f))
                issues = "; ".join(f"{i['field']} {i['code']}: {i['problem']}" for i in item.get("issues", []) or [])
                evidence = " | ".join(_evidence_line(e) for e in item.get("evidence", []) or [])
                if list_name == "reportable":
                    codes = f"snomed={item.get('snomed')} conf={item.get('confidence')}"
                    evidence = " | ".join(f"{t['system']} {t['code']} ({t.get('source') or ''})" for t in item.get("triggers", []))
                label = item.get("name") or ""
                if list_name == "vitals":
                    label = f"{item.get('name')} {item.get('value')} {item.get('unit') or ''}"
                items.add_row(list_name, label, codes + (f" [red]invalid: {issues}[/red]" if issues else ""), evidence)
        console.print(items)
    if run.excluded:
        excluded = Table(title="excluded mentions (kept out of the output)")
        for column in ("list", "name", "reason", "codes"):
            excluded.add_column(column, overflow="fold")
        for entry in run.excluded:
            codes = ", ".join(f"{f}={entry.item[f]}" for f in ITEM_CODE_FIELDS if entry.item.get(f))
            excluded.add_row(entry.kind, entry.name or "", entry.reason, codes)
        console.print(excluded)
    from cliniq_agent.rrcheck.render import render_rr_check, rr_check_of

    if (check := rr_check_of(run.steps)) is not None:
        render_rr_check(check, console)


def _evidence_line(evidence: dict) -> str:
    where = evidence.get("locator") or (f"chars {evidence['span'][0]}-{evidence['span'][1]}" if evidence.get("span") else "")
    text = (evidence.get("text") or "").replace("\n", " ")
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{evidence.get('tier')} {where} “{text}”" + (f" [{evidence['rule']}]" if evidence.get("rule") else "")
