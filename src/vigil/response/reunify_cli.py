"""`vigil reunify`: family reunification from the shell (matching inquiries to lists).

Exit codes: 0 done; 2 bad input (no such file, wrong header, not UTF-8, repeated
id, impossible age or date, unknown list, bad option), with one line on stderr and
no output file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

reunify_app = typer.Typer(
    help="Family reunification: match families' inquiries against accountability lists.",
    no_args_is_help=True,
)
errors = Console(stderr=True)


@reunify_app.callback()
def reunify() -> None:
    """Family reunification: match families' inquiries against accountability lists."""


def _refuse(message: str) -> typer.Exit:
    errors.print(f"Error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


@reunify_app.command("match")
def match_command(
    list_file: Annotated[
        Path,
        typer.Argument(
            metavar="LIST.csv",
            help="People on accountability lists: id,list,full_name,dob,age,sex,description "
            "(list is roster, hospital, medical_examiner or attendees).",
        ),
    ],
    inquiries_file: Annotated[
        Path,
        typer.Argument(
            metavar="INQUIRIES.csv",
            help="Families' inquiries: id,full_name,dob,age,sex,description,relationship.",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="MATCHES.csv",
            help="Where to write inquiry_id,person_id,rank,score,likely.",
        ),
    ],
    top: Annotated[int, typer.Option("--top", help="Candidates per inquiry (1-50).")] = 3,
    on: Annotated[
        str | None,
        typer.Option(
            "--on",
            help="Date ages are counted at (YYYY-MM-DD; default today): the incident's date.",
        ),
    ] = None,
) -> None:
    """Rank candidates from the lists for each inquiry, best first; `likely` = yes marks
    the probable match for staff to confirm (never a notification by itself)."""
    from vigil.response.inquiry_matching import match_inquiries
    from vigil.response.match_files import BadFile, read_inquiries, read_list, write_matches

    try:
        if not 1 <= top <= 50:
            raise BadFile(f"--top must be between 1 and 50, not {top}")
        try:
            today = date.fromisoformat(on) if on else date.today()
        except ValueError:
            raise BadFile(f"--on {on!r} is not a date (YYYY-MM-DD)") from None
        if not (output.parent if str(output.parent) else Path(".")).is_dir():
            raise BadFile(f"no directory {output.parent} for the output")
        if output.is_dir():
            raise BadFile(f"{output} is a directory")
        people = read_list(list_file, today=today)
        inquiries = read_inquiries(inquiries_file, today=today)
    except BadFile as problem:
        raise _refuse(str(problem)) from None
    candidates = match_inquiries(people, inquiries, top=top)
    write_matches(output, candidates)
    likely = sum(1 for c in candidates if c.likely)
    errors.print(
        f"{len(inquiries):,} inquiries against {len(people):,} listed people: "
        f"{likely:,} likely matches to confirm; written to {output}.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _today(on: str | None) -> date:
    try:
        return date.fromisoformat(on) if on else date.today()
    except ValueError:
        raise _refuse(f"--on {on!r} is not a date (YYYY-MM-DD)") from None


def _upload(kind: str, file: Path, incident: int, on: str | None) -> None:
    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.platform.database import transaction
    from vigil.platform.errors import NotFound
    from vigil.response.reunification import add_inquiries, upload_list

    today = _today(on)
    if not file.is_file():
        raise _refuse(f"no such file: {file}")
    data = file.read_bytes()
    service = upload_list if kind == "list" else add_inquiries
    _, factory = open_database(load_settings())
    try:
        with transaction(factory) as db:
            result = service(
                db,
                actor=operator_actor(),
                incident_id=incident,
                data=data,
                source_name=file.name,
                today=today,
            )
            if result.file_problem or result.problems:
                db.rollback()
    except NotFound:
        raise _refuse(f"no incident {incident}") from None
    if result.file_problem:
        raise _refuse(f"{result.file_problem}; nothing was stored")
    if result.problems:
        for problem in result.problems:
            typer.echo(f"{file.name}: {problem}")
        raise _refuse(
            f"{file}: {len(result.problems):,} rows have problems (listed above); "
            "nothing was stored"
        )
    typer.echo(f"{result.stored:,} rows of {file.name} stored for incident {incident}.")


@reunify_app.command("upload")
def upload_command(
    list_file: Annotated[
        Path,
        typer.Argument(
            metavar="LIST.csv", help="id,list,full_name,dob,age,sex,description (as for match)."
        ),
    ],
    incident: Annotated[int, typer.Option("--incident", help="The incident's id.")],
    on: Annotated[str | None, typer.Option("--on", help="Date ages are counted at.")] = None,
) -> None:
    """Upload an accountability list (roster, attendees, hospital, medical examiner) to an
    incident: every row is checked and a problem in any row stores nothing."""
    _upload("list", list_file, incident, on)


@reunify_app.command("inquiries")
def inquiries_command(
    inquiries_file: Annotated[
        Path,
        typer.Argument(
            metavar="INQUIRIES.csv",
            help="id,full_name,dob,age,sex,description,relationship (as for match).",
        ),
    ],
    incident: Annotated[int, typer.Option("--incident", help="The incident's id.")],
    on: Annotated[str | None, typer.Option("--on", help="Date ages are counted at.")] = None,
) -> None:
    """Add families' inquiries to an incident: every row is checked and a problem in any
    row stores nothing."""
    _upload("inquiries", inquiries_file, incident, on)


@reunify_app.command("queue")
def queue_command(
    incident: Annotated[int, typer.Option("--incident", help="The incident's id.")],
    top: Annotated[int, typer.Option("--top", help="Candidates per inquiry (1-50).")] = 3,
    on: Annotated[str | None, typer.Option("--on", help="Date ages are counted at.")] = None,
) -> None:
    """Match every inquiry of an incident against its lists and print the queue staff
    confirm from: inquiry,person,list,rank,score,likely (likely first)."""
    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.platform.database import transaction
    from vigil.platform.errors import NotFound
    from vigil.response.confirmation import pending_notifications
    from vigil.response.reunification import match_incident, review_queue, status_counts

    if not 1 <= top <= 50:
        raise _refuse(f"--top must be between 1 and 50, not {top}")
    today = _today(on)
    _, factory = open_database(load_settings())
    actor = operator_actor()
    try:
        with transaction(factory) as db:
            match_incident(db, actor=actor, incident_id=incident, today=today, top=top)
            queue = review_queue(db, actor=actor, incident_id=incident)
            counts = status_counts(db, actor=actor, incident_id=incident)
            pending = pending_notifications(db, actor=actor, incident_id=incident)
    except NotFound:
        raise _refuse(f"no incident {incident}") from None
    typer.echo("inquiry_id,person_id,list,rank,score,likely")
    for item in queue:
        typer.echo(
            f"{item.inquiry_reference},{item.row_id},{item.list_kind},{item.rank},"
            f"{item.score:.2f},{'yes' if item.likely else 'no'}"
        )
    summary = ", ".join(f"{count:,} {status}" for status, count in sorted(counts.items()))
    errors.print(
        f"{len(queue):,} candidates to confirm; listed: {summary or 'nobody'}; "
        f"{len(pending):,} families to be told of a death in person by designated staff.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@reunify_app.command("confirm")
def confirm_command(
    incident: Annotated[int, typer.Option("--incident", help="The incident's id.")],
    inquiry: Annotated[str, typer.Option("--inquiry", help="The inquiry's id (from its file).")],
    person: Annotated[str, typer.Option("--person", help="The listed person's id.")],
) -> None:
    """Record that you confirmed an inquiry is about a listed person. Nobody is told by
    Vigil; a match on the medical examiner's list queues the family for an in-person
    notification by designated staff."""
    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.platform.database import transaction
    from vigil.platform.errors import Conflict, NotFound
    from vigil.response.confirmation import confirm_match

    _, factory = open_database(load_settings())
    try:
        with transaction(factory) as db:
            done = confirm_match(
                db,
                actor=operator_actor(),
                incident_id=incident,
                inquiry_reference=inquiry,
                row_id=person,
            )
    except NotFound as missing:
        raise _refuse(
            f"{missing} (incident {incident}, inquiry {inquiry!r}, person {person!r})"
        ) from None
    except Conflict as clash:
        raise _refuse(str(clash)) from None
    typer.echo(f"Inquiry {done.inquiry_reference} confirmed as {done.row_id}.")
    if done.notification_queued:
        typer.echo(
            "On the medical examiner's list: queued for an in-person notification by "
            "designated staff; record it with `vigil reunify notified`."
        )


@reunify_app.command("notified")
def notified_command(
    incident: Annotated[int, typer.Option("--incident", help="The incident's id.")],
    inquiry: Annotated[str, typer.Option("--inquiry", help="The inquiry's id.")],
    staff: Annotated[str, typer.Option("--staff", help="Who told the family in person.")],
) -> None:
    """Record that designated staff told a family of a death in person."""
    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.platform.database import transaction
    from vigil.platform.errors import InvalidInput, NotFound
    from vigil.response.confirmation import record_notification

    _, factory = open_database(load_settings())
    try:
        with transaction(factory) as db:
            record_notification(
                db,
                actor=operator_actor(),
                incident_id=incident,
                inquiry_reference=inquiry,
                notified_by=staff,
            )
    except NotFound as missing:
        raise _refuse(f"{missing} (incident {incident}, inquiry {inquiry!r})") from None
    except InvalidInput as problem:
        raise _refuse(str(problem)) from None
    typer.echo(f"In-person notification for inquiry {inquiry} recorded ({staff}).")


@reunify_app.command("purge")
def purge_command(
    after_days: Annotated[
        int,
        typer.Option(
            "--after-days", help="Delete once an incident has been closed this many days."
        ),
    ] = 30,
    now: Annotated[
        str | None, typer.Option("--now", help="Judge at this ISO 8601 moment instead of now.")
    ] = None,
) -> None:
    """Delete the reunification data (lists, inquiries, matches, notification records,
    PFIF records) of incidents closed longer than the retention period; the incident
    and the audit trail stay."""
    from datetime import UTC, datetime

    from vigil.cli import load_settings, open_database, operator_actor
    from vigil.platform.database import transaction
    from vigil.response.retention import purge_closed_incidents

    if after_days < 0:
        raise _refuse("--after-days must not be negative")
    try:
        moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
    except ValueError:
        raise _refuse(f"--now {now!r} is not an ISO 8601 date or time") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    _, factory = open_database(load_settings())
    with transaction(factory) as db:
        purged = purge_closed_incidents(
            db, actor=operator_actor(), now=moment, retention_days=after_days
        )
    for done in purged:
        typer.echo(
            f"Incident {done.incident_id}: {done.listed:,} listed people, "
            f"{done.inquiries:,} inquiries, {done.pfif_persons:,} PFIF persons deleted."
        )
    typer.echo(f"{len(purged)} incidents purged.")
