"""`vigil link csv`: deduplicate one CSV file of people or link two, with no database.

Exit codes: 0 done; 2 bad input (no such file, missing column, unknown field,
empty file, unreadable encoding, repeated ids, bad option).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from vigil.linkage.fields import FIELDS

if TYPE_CHECKING:
    import pandas as pd

errors = Console(stderr=True)


class BadInput(Exception):
    """Input the command refuses, with a message for the operator."""


def parse_columns(text: str | None, header: list[str]) -> dict[str, str]:
    """field → column from "first_name=given_name,dob=date_of_birth"; by default, same names."""
    if not text:
        mapping = {f: f for f in FIELDS if f in header}
        if not mapping:
            raise BadInput(
                "no column is named after a field; map them with --columns "
                "(fields: " + ", ".join(FIELDS) + ")"
            )
        return mapping
    mapping = {}
    for item in text.split(","):
        if not item.strip():
            continue
        field, sep, column = item.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise BadInput(f"--columns entry {item.strip()!r} is not field=column")
        if field not in FIELDS:
            raise BadInput(f"unknown field {field!r}; fields: {', '.join(FIELDS)}")
        if field in mapping:
            raise BadInput(f"field {field!r} is mapped twice in --columns")
        mapping[field] = column
    if not mapping:
        raise BadInput("--columns maps no field")
    return mapping


def read_people(path: Path, id_column: str, columns: str | None) -> pd.DataFrame:
    """One input file as raw fields: unique_id and the mapped FIELDS, all strings."""
    import pandas as pd

    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            skipinitialspace=True,
            on_bad_lines="error",
        )
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text; convert it to UTF-8 first") from None
    except pd.errors.EmptyDataError:
        raise BadInput(f"{path} is empty") from None
    except (pd.errors.ParserError, csv.Error) as error:
        raise BadInput(f"{path} is not a readable CSV file: {error}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise BadInput(f"{path} has a header but no rows")
    header = list(frame.columns)
    if id_column not in header:
        raise BadInput(f"{path} has no id column {id_column!r}; columns: {', '.join(header)}")
    mapping = parse_columns(columns, header)
    missing = [column for column in mapping.values() if column not in header]
    if missing:
        raise BadInput(f"{path} has no column {', '.join(map(repr, missing))}")
    ids = frame[id_column].str.strip()
    if (ids == "").any():
        raise BadInput(f"{path}: {int((ids == '').sum())} rows have an empty id")
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise BadInput(f"{path}: id {repeated.iloc[0]!r} appears more than once")
    people = pd.DataFrame({"unique_id": ids})
    for field, column in mapping.items():
        people[field] = frame[column].str.strip().replace("", None)
    return people


def link_csv(
    input_file: Annotated[Path, typer.Argument(help="CSV file of people (one per row).")],
    second_file: Annotated[
        Path | None, typer.Argument(help="A second CSV file to link the first one to.")
    ] = None,
    id_column: Annotated[
        str, typer.Option("--id-column", help="Column holding each row's id.")
    ] = "id",
    columns: Annotated[
        str | None,
        typer.Option(
            help="field=column pairs, comma-separated, e.g. "
            "first_name=given_name,surname=surname,dob=date_of_birth "
            "(default: columns named after fields). Fields: " + ", ".join(FIELDS) + "."
        ),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write source,id,cluster_id rows.")
    ] = Path("clusters.csv"),
    backend: Annotated[
        str | None,
        typer.Option(help="duckdb or spark (default: VIGIL_LINKAGE_BACKEND, else duckdb)."),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option(help="Match weight at or above which two rows are the same person."),
    ] = 5.0,
) -> None:
    """Find the same person across one CSV file (deduplicate) or two (link); no database.

    Writes source (1 or 2: which input), id (as given) and cluster_id (rows with
    the same cluster_id are the same person).
    """
    try:
        chosen = _backend(backend)
        frames = [read_people(input_file, id_column, columns)]
        if second_file is not None:
            frames.append(read_people(second_file, id_column, columns))
        if not output.parent.is_dir():
            raise BadInput(f"no directory {output.parent} for the output")
    except BadInput as problem:
        errors.print(f"Error: {problem}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    clusters = _run(frames, chosen, threshold)
    _write(output, frames, clusters)
    people = len(set(clusters.values()))
    rows = sum(len(f) for f in frames)
    errors.print(f"{rows:,} rows, {people:,} people; written to {output}.", markup=False)


def _backend(value: str | None) -> str:
    if value is None:
        from vigil.platform.settings import Settings

        return Settings().linkage_backend
    if value not in ("duckdb", "spark"):
        raise BadInput(f"--backend must be duckdb or spark, not {value!r}")
    return value


def _run(frames: list[pd.DataFrame], backend: str, threshold: float) -> dict[str, str]:
    import pandas as pd

    from vigil.linkage import engine

    if len(frames) == 2:
        tagged = [
            f.assign(unique_id=f"{n}:" + f["unique_id"], source_dataset=str(n))
            for n, f in enumerate(frames, start=1)
        ]
        link_type: engine.LinkType = "link_only"
    else:
        tagged = [frames[0].assign(unique_id="1:" + frames[0]["unique_id"])]
        link_type = "dedupe_only"
    combined = pd.concat(tagged, ignore_index=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=errors,
    ) as progress:
        task = progress.add_task("Linking", total=1.0)

        def tell(message: str, fraction: float) -> None:
            progress.update(task, completed=fraction, description=message.capitalize())

        try:
            result = engine.link(
                combined,
                backend=backend,
                link_type=link_type,
                threshold_weight=threshold,
                progress=tell,
            )
        except engine.NothingToLink as reason:
            errors.print(f"Nothing linked: {reason}", markup=False, highlight=False, soft_wrap=True)
            return {uid: uid for uid in combined["unique_id"]}
    return result.clusters


def _write(output: Path, frames: list[pd.DataFrame], clusters: dict[str, str]) -> None:
    numbers: dict[str, int] = {}
    with output.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["source", "id", "cluster_id"])
        for source, frame in enumerate(frames, start=1):
            for raw_id in frame["unique_id"]:
                root = clusters[f"{source}:{raw_id}"]
                number = numbers.setdefault(root, len(numbers) + 1)
                writer.writerow([source, raw_id, number])
