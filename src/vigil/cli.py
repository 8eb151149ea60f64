"""The `vigil` command: set up, serve, demo, administer accounts, check the audit trail."""

from __future__ import annotations

import getpass
import json
import os
import secrets
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from vigil.analytics.cli import analytics_app
from vigil.assessment.cli import assessment_app
from vigil.linkage.cli import link_app
from vigil.platform import accounts, audit, migrate
from vigil.platform.actor import Actor, command_line
from vigil.platform.database import (
    begin_read_only,
    check_durability,
    make_engine,
    make_sessionmaker,
    transaction,
)
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency, User
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import ConfigurationError, Settings, check_settings
from vigil.preparedness.plan_cli import plan_app
from vigil.recovery.cli import recover_app
from vigil.reports.import_cli import import_app
from vigil.reports.retention_cli import retention_app
from vigil.reports.triage_cli import triage_app
from vigil.response.cli import incident_app, pfif_app, reunify_app

app = typer.Typer(
    help="Vigil: prevent, prepare for, respond to and recover from targeted violence.",
    no_args_is_help=True,
    add_completion=False,
)
user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
agency_app = typer.Typer(help="Manage agencies.", no_args_is_help=True)
audit_app = typer.Typer(help="Verify, sign and export the audit trail.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(agency_app, name="agency")
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
app.add_typer(triage_app, name="triage")
app.add_typer(retention_app, name="retention")
app.add_typer(import_app, name="import")
app.add_typer(link_app, name="link")
app.add_typer(assessment_app, name="assessment")
app.add_typer(plan_app, name="plan")
app.add_typer(reunify_app, name="reunify")
app.add_typer(pfif_app, name="pfif")
app.add_typer(incident_app, name="incident")
app.add_typer(recover_app, name="recover")
app.add_typer(analytics_app, name="analytics")

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[bold red]Error:[/] {message}")
    return typer.Exit(code)


def load_settings(**overrides: object) -> Settings:
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
        check_settings(settings)
    except ConfigurationError as problem:
        raise fail(str(problem)) from None
    except ValueError as problem:
        raise fail(f"invalid setting: {problem}") from None
    return settings


def open_database(
    settings: Settings, *, upgrade: bool = True
) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(settings)
    try:
        check_durability(engine)
    except ConfigurationError as problem:
        raise fail(str(problem)) from None
    if upgrade:
        migrate.upgrade(engine)
    return engine, make_sessionmaker(engine)


def operator_actor() -> Actor:
    return command_line(getpass.getuser())


def find_agency(db: Session, name_or_id: str) -> Agency:
    condition = func.lower(Agency.name) == name_or_id.lower()
    if name_or_id.isdigit():
        condition = or_(condition, Agency.id == int(name_or_id))
    agency = db.execute(select(Agency).where(condition)).scalar_one_or_none()
    if agency is None:
        raise fail(
            f"no agency {name_or_id!r}; list them with the web page or create one with "
            "`vigil agency create`"
        )
    return agency


def find_user(db: Session, username: str) -> User:
    user = db.execute(
        select(User).where(User.username == username.strip().casefold())
    ).scalar_one_or_none()
    if user is None:
        raise fail(f"no user {username!r}")
    return user


def report_service_error(problem: Exception) -> typer.Exit:
    if isinstance(problem, InvalidInput):
        return fail("; ".join(f"{k}: {v}" for k, v in problem.errors.items()))
    return fail(str(problem))


SERVICE_ERRORS = (InvalidInput, Conflict, NotFound, PermissionDenied)


# --- set-up and serving ----------------------------------------------------------------


@app.command()
def init() -> None:
    """Create the data directory, the audit checkpoint key and the database schema."""
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key_file = settings.resolved_checkpoint_key_file
    if audit.create_checkpoint_key(key_file):
        console.print(
            f"Created the audit checkpoint key at {key_file} (keep a copy off this "
            "machine; it is not in the database)."
        )
    open_database(settings)
    console.print("Database is at the latest schema.")
    console.print(
        "Next: `vigil agency create NAME --kind fusion_center --operator` and "
        "`vigil user create ...`, then `vigil serve`."
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Server processes (default VIGIL_WORKERS, or 1)."),
    ] = None,
) -> None:
    """Apply pending migrations and serve Vigil."""
    if workers is not None:
        # The worker processes read their settings from the environment.
        os.environ["VIGIL_WORKERS"] = str(workers)
    settings = load_settings()
    open_database(settings)
    run_server(settings, host or settings.host, port or settings.port, settings.workers)


def run_server(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Serve until stopped, with the scheduled jobs (deadline escalation, retention, the
    linkage sweep) running once, in this process. ``workers`` > 1: that many server
    processes, each building its application from the environment."""
    import uvicorn

    from vigil.reports.jobs import start_scheduler
    from vigil.web import serving

    serving.configure_logging(settings)
    application: object = "vigil.web.serving:worker_application"
    matcher = None
    if workers > 1:
        _, session_factory = open_database(settings, upgrade=False)
    else:
        application, matcher = serving.serving_application(settings)
        session_factory = application.state.session_factory
    scheduler = start_scheduler(settings, session_factory)
    uvicorn.run(
        application,  # type: ignore[arg-type]
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        proxy_headers=settings.trust_forwarded_headers,
        access_log=False,
        server_header=False,
    )
    scheduler.shutdown()
    if matcher is not None:
        matcher.shutdown()


@app.command()
def demo(
    data_dir: Annotated[Path, typer.Option(help="Where the demo database goes (replaced).")] = (
        Path("vigil-data/demo")
    ),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after building.")
    ] = True,
) -> None:
    """Build a fresh demo database with synthetic agencies and users, and serve it."""
    from vigil import demo as demo_world

    if data_dir.exists():
        shutil.rmtree(data_dir)
    settings = load_settings(
        demo_mode=True, data_dir=data_dir, database_url=None, secret_key=secrets.token_urlsafe(48)
    )
    audit.create_checkpoint_key(settings.resolved_checkpoint_key_file)
    _, factory = open_database(settings)
    logins = demo_world.build(factory, settings=settings, actor=operator_actor(), say=console.print)
    url = f"http://{host}:{port}/"
    # Plain lines, not a table: a narrow terminal must never cut a password short.
    console.print(
        "[bold]Demo logins[/] (shown once; multi-factor authentication is off in demo mode only):",
        highlight=False,
    )
    width = max(len(login.username) for login in logins)
    for login in logins:
        console.print(
            f"  {login.username:<{width}}  {login.password}   {login.agency}: "
            f"{', '.join(login.roles)}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"Demo data in {data_dir}/ (synthetic; replaced at every `vigil demo`).")
    console.print(f"[bold]Vigil demo: open {url}[/]")
    if serve_after:
        run_server(settings, host, port)


# --- agencies and users ----------------------------------------------------------------


@agency_app.command("create")
def agency_create(
    name: Annotated[str, typer.Argument(help="The agency's name.")],
    kind: Annotated[AgencyKind, typer.Option(help="Kind of agency.")] = AgencyKind.OTHER,
    operator: Annotated[
        bool,
        typer.Option(
            "--operator", help="The agency that operates this instance (its admins administer all)."
        ),
    ] = False,
) -> None:
    """Add an agency."""
    _, factory = open_database(load_settings())
    try:
        with transaction(factory) as db:
            agency = accounts.create_agency(
                db, actor=operator_actor(), name=name, kind=kind, is_operator=operator
            )
            console.print(f"Agency {agency.id}: {agency.name} ({kind.label})")
    except SERVICE_ERRORS as problem:
        raise report_service_error(problem) from None


def read_new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise fail("no terminal to ask for a password; use --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise fail("the passwords do not match")
    return first


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="Login name (letters, digits, . _ @ -).")],
    agency: Annotated[str, typer.Option(help="Agency name or id.")],
    display_name: Annotated[str, typer.Option(help="The person's full name.")],
    role: Annotated[list[Role] | None, typer.Option(help="A role (repeat for several).")] = None,
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    sso_only: Annotated[
        bool, typer.Option("--sso-only", help="No password: single sign-on only.")
    ] = False,
) -> None:
    """Create a user account (prompts for the password unless --password-stdin)."""
    settings = load_settings()
    _, factory = open_database(settings)
    password = None if sso_only else read_new_password(password_stdin)
    try:
        with transaction(factory) as db:
            target = find_agency(db, agency)
            user = accounts.create_user(
                db,
                actor=operator_actor(),
                settings=settings,
                agency_id=target.id,
                username=username,
                display_name=display_name,
                email=email,
                roles=frozenset(role or ()),
                password=password,
            )
            console.print(
                f"User {user.id}: {user.username} in {target.name}; roles: "
                f"{', '.join(sorted(r.label for r in user.roles)) or 'none'}"
            )
    except SERVICE_ERRORS as problem:
        raise report_service_error(problem) from None


def _user_operation(username: str, operation: str) -> None:
    operations = {
        "disable": accounts.disable_user,
        "unlock": accounts.unlock_user,
        "reset-mfa": accounts.reset_mfa,
    }
    _, factory = open_database(load_settings())
    try:
        with transaction(factory) as db:
            user = find_user(db, username)
            operations[operation](db, actor=operator_actor(), user_id=user.id)
    except SERVICE_ERRORS as problem:
        raise report_service_error(problem) from None


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable an account and end all its sessions and API tokens at once."""
    _user_operation(username, "disable")
    console.print(f"{username} is disabled; its sessions and API tokens have ended.")


@user_app.command("unlock")
def user_unlock(username: str) -> None:
    """Unlock an account locked after failed sign-ins."""
    _user_operation(username, "unlock")
    console.print(f"{username} is unlocked.")


@user_app.command("reset-mfa")
def user_reset_mfa(username: str) -> None:
    """Forget a user's authenticator; they set up a new one at next sign-in."""
    _user_operation(username, "reset-mfa")
    console.print(f"{username} will set up two-step verification at next sign-in.")


# --- audit -------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the whole hash chain and every signed checkpoint; name the first broken link."""
    settings = load_settings()
    _, factory = open_database(settings, upgrade=False)
    key_file = settings.resolved_checkpoint_key_file
    key = audit.load_checkpoint_key(key_file) if key_file.exists() else None
    if key is None:
        errors.print(
            f"[yellow]Warning:[/] no checkpoint key at {key_file}: checkpoint "
            "signatures are not checked."
        )
    try:
        outside = audit.read_checkpoint_log(settings.resolved_checkpoint_log_file)
    except ValueError as unreadable:
        raise fail(f"audit trail BROKEN: {unreadable}", code=2) from None
    with Progress(
        TextColumn("Verifying audit trail"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as progress:
        task = progress.add_task("verify", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        with factory() as db:
            begin_read_only(db)  # one snapshot; writers carry on meanwhile
            result = audit.verify(
                db, checkpoint_key=key, progress=report, external_checkpoints=outside
            )
    if not result.ok:
        raise fail(
            f"audit trail BROKEN at event {result.first_broken_seq}: {result.reason} "
            f"({result.events_checked} events before it verified)",
            code=2,
        )
    console.print(
        f"Audit trail intact: {result.events_checked} events, "
        f"{result.checkpoints_checked} signed checkpoints verified."
    )


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the current end of the chain with the key kept outside the database."""
    settings = load_settings()
    _, factory = open_database(settings, upgrade=False)
    key_file = settings.resolved_checkpoint_key_file
    try:
        key = audit.load_checkpoint_key(key_file)
    except FileNotFoundError as missing:
        raise fail(str(missing)) from None
    with transaction(factory) as db:
        written = audit.write_checkpoint(db, key=key, actor=operator_actor())
        checkpoint = audit.CheckpointRecord(
            written.seq, written.hash, written.created_at, written.signature
        )
    # Copied outside the database only once committed, so the copy never names a
    # checkpoint the database does not hold.
    audit.append_checkpoint_log(settings.resolved_checkpoint_log_file, checkpoint)
    console.print(
        f"Checkpoint signed at event {checkpoint.seq} ({checkpoint.hash[:16]}…), "
        f"copied to {settings.resolved_checkpoint_log_file}."
    )


def parse_moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--{name} must be an ISO date or date-time, e.g. 2026-01-31") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@audit_app.command("export")
def audit_export(
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
    since: Annotated[str | None, typer.Option(help="Only events at or after (ISO).")] = None,
    until: Annotated[str | None, typer.Option(help="Only events before (ISO).")] = None,
    action: Annotated[str | None, typer.Option(help="Only actions starting with this.")] = None,
) -> None:
    """Write the audit trail as JSON lines, oldest first (the export is itself audited)."""
    settings = load_settings()
    _, factory = open_database(settings, upgrade=False)
    filters = audit.AuditFilter(
        action=action, since=parse_moment(since, "since"), until=parse_moment(until, "until")
    )
    handle = output.open("w", encoding="utf-8") if output else sys.stdout
    count = 0
    try:
        with transaction(factory) as db:
            events = audit.export_events(db, actor=operator_actor(), filters=filters)
            db.commit()  # the record of this export is durable before any event leaves
            begin_read_only(db)
            for event in events:
                handle.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
    finally:
        if output:
            handle.close()
    errors.print(f"Exported {count} audit events.")


# --- database ------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations (also done by `vigil init` and `vigil serve`)."""
    engine, _ = open_database(load_settings(), upgrade=False)
    migrate.upgrade(engine, revision)
    console.print(f"Database upgraded to {revision}.")


def main() -> None:
    app()
