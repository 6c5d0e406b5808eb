"""``cliniq-agent kb``: the terminology knowledge base (import licensed tables, inspect codes and names) and the
code index (``build``, ``search``: Chroma + hybrid retrieval, see cliniq_agent.rag).

Exit codes as for the main CLI: 0 ok; 2 bad input (one ``error: ...`` line on stderr).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from cliniq_agent.core.errors import EXIT_BAD_INPUT, CliniqError

app = typer.Typer(help="Terminology knowledge base: import licensed tables, look up codes and names; build and "
                       "search the code index.",
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


@app.command("build")
def build(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Build again even if this KB's index exists.")] = False,
    model: Annotated[Optional[str], typer.Option("--model", help="Embedding model (kb/rag/retrieval.toml).")] = None,
    full_icd10: Annotated[bool, typer.Option("--full-icd10", help="Index all of ICD-10-CM (~98k codes, slow), "
                                                                   "not only the reportable subset.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Build the code index (Chroma, in the user cache dir); reused while the KB and model are unchanged."""
    import time  # noqa: PLC0415

    from cliniq_agent.rag import CodeIndex  # noqa: PLC0415

    clock = time.perf_counter()
    try:
        index = CodeIndex.open(model, full_icd10=full_icd10, rebuild=rebuild)
    except (CliniqError, ValueError) as err:
        raise _fail(str(err)) from err
    info = index.info() | {"built_now": index.built_now, "seconds": round(time.perf_counter() - clock, 2)}
    if as_json:
        typer.echo(json.dumps(info, indent=1))
        return
    if index.built_now:
        state = f"built in {info['build_seconds']:.1f} s"
    else:
        state = (f"reused (built in {info['build_seconds']:.1f} s on {str(info['built_at'])[:19]}; "
                 f"opened in {info['seconds']:.2f} s)")
    typer.echo(f"code index {info['key']}: {state}")
    typer.echo(f"  {info['documents']} documents ({info['concepts']} codes), model {info['model_id']}, "
               f"{int(info['size_bytes']) / 1e6:.1f} MB on disk")
    typer.echo(f"  {info['folder']}")


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="A name, synonym, abbreviation, translation or misspelling.")],
    system: Annotated[Optional[str], typer.Option("--system", help="snomed | loinc | rxnorm | icd10 | cvx.")] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Number of codes.")] = 5,
    model: Annotated[Optional[str], typer.Option("--model", help="Embedding model (kb/rag/retrieval.toml).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help='[{"code","system","name","score"}], best first.')] = False,
) -> None:
    """Ranked codes for a text (exact / alias, lexical and vector match; calibrated score 0..1)."""
    from cliniq_agent.rag import CodeIndex  # noqa: PLC0415

    try:
        hits = CodeIndex.open(model).search(query, system=system, k=k)
    except (CliniqError, ValueError) as err:
        raise _fail(str(err)) from err
    if as_json:
        typer.echo(json.dumps([{"code": h.code, "system": h.system, "name": h.name, "score": h.score} for h in hits],
                              ensure_ascii=False, indent=1))
        return
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    table = Table(title=f"codes for {query!r}" + (f" in {system}" if system else ""))
    for column in ("#", "score", "system", "code", "name", "match", "matched text", "condition"):
        table.add_column(column)
    for rank, hit in enumerate(hits, 1):
        table.add_row(str(rank), f"{hit.score:.2f}", hit.system, hit.code, hit.name, hit.match, hit.matched_text,
                      hit.condition or "")
    Console().print(table if hits else f"no codes for {query!r}")
