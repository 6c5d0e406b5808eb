"""``cliniq-agent kb``: the terminology knowledge base (import licensed tables, inspect codes and names).

Exit codes as for the main CLI: 0 ok; 2 bad input (one ``error: ...`` line on stderr).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from cliniq_agent.errors import EXIT_BAD_INPUT, CliniqError

app = typer.Typer(help="Terminology knowledge base: import licensed tables, look up codes and names.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)

_FILE = {"exists": False, "dir_okay": False, "resolve_path": True}


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


@app.command("import")
def import_tables(
    loinc: Annotated[Optional[Path], typer.Option("--loinc", help="LOINC Loinc.csv (LoincTable folder).", **_FILE)] = None,
    rxnorm: Annotated[Optional[Path], typer.Option("--rxnorm", help="RxNorm RXNCONSO.RRF.", **_FILE)] = None,
    snomed: Annotated[Optional[Path], typer.Option("--snomed", help="SNOMED CT RF2 sct2_Description_*.txt.", **_FILE)] = None,
    icd10cm: Annotated[Optional[Path], typer.Option("--icd10cm", help="ICD-10-CM order file icd10cm_order_*.txt.", **_FILE)] = None,
) -> None:
    """Import your own licensed full terminology tables into the user data dir (any subset)."""
    from cliniq_agent.terminology.importers import parse_table, store_table  # noqa: PLC0415 (fast --help)

    chosen = [(system, path) for system, path in
              (("loinc", loinc), ("rxnorm", rxnorm), ("snomed", snomed), ("icd10", icd10cm)) if path is not None]
    if not chosen:
        raise _fail("give at least one of --loinc, --rxnorm, --snomed, --icd10cm")
    try:  # parse every file before replacing anything imported earlier
        tables = [parse_table(system, path) for system, path in chosen]
    except CliniqError as err:
        raise _fail(str(err)) from err
    for table in tables:
        typer.echo(store_table(table).line())


@app.command("stats")
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Row counts of every knowledge-base table (curated, generated and user-imported)."""
    from cliniq_agent.terminology import TerminologyKB  # noqa: PLC0415

    counts = TerminologyKB.load().stats()
    if as_json:
        typer.echo(json.dumps(counts, indent=1))
        return
    for name, count in counts.items():
        typer.echo(f"{name:>22}  {count}")


@app.command("lookup")
def lookup(
    system: Annotated[str, typer.Argument(help="snomed | loinc | rxnorm | icd10 | cvx (or an OID / FHIR URI).")],
    code: Annotated[str, typer.Argument(help="The code.")],
) -> None:
    """Show one code: display, alias names, linked reportable condition, provenance."""
    from cliniq_agent.terminology import TerminologyKB  # noqa: PLC0415

    concept = TerminologyKB.load().lookup(system, code)
    if concept is None:
        raise _fail(f"{system} {code} is not in the knowledge base")
    typer.echo(json.dumps(concept.model_dump(mode="json"), ensure_ascii=False, indent=1))


@app.command("match")
def match(
    text: Annotated[str, typer.Argument(help="A name, synonym, abbreviation or translation.")],
    system: Annotated[Optional[str], typer.Option("--system", help="Restrict to one code system.")] = None,
) -> None:
    """Exact / alias match of a name (case-, accent- and punctuation-insensitive)."""
    from cliniq_agent.terminology import TerminologyKB  # noqa: PLC0415

    found = TerminologyKB.load().match_exact(text, system)
    typer.echo(json.dumps([{"system": c.system, "code": c.code, "name": c.display} for c in found],
                          ensure_ascii=False, indent=1))
