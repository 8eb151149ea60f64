"""Sign-in latency, argon2 included: at the service level and through the real HTTP stack.

Service level: ``authentication.check_password`` (the first factor, with its lockout
bookkeeping and audit event) in its own committed transaction, as a route runs it.

HTTP: ``vigil.web.app:create_app`` served by uvicorn in a subprocess on 127.0.0.1, in
demo mode (so MFA is off and a correct password signs in), on a throwaway database.
Each sign-in is what a browser does: GET /login for the CSRF cookie and token, then
POST /login with username, password and csrf_token (answered 303 when signed in).
Requests are sequential, over one keep-alive connection.

Baselines from the same run: a bare ``argon2.PasswordHasher().verify`` and GET /health,
so the figures read as ratios on a shared machine.

Run: ``.venv/bin/python -m bench.login_bench --logins 200 --backend both``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

from bench.databases import backends, migrated_engine, server_description, throwaway_settings
from bench.timing import Progress, latency_summary, load_average, say
from vigil.platform import accounts, audit, authentication
from vigil.platform.actor import anonymous, command_line
from vigil.platform.authentication import Outcome
from vigil.platform.database import make_sessionmaker, transaction
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings

USERNAME = "analyst.bench"
SERVER_START_SECONDS = 60.0
ROOT = Path(__file__).resolve().parents[1]


class Argon2Baseline:
    """A bare argon2id verify with the library defaults Vigil's ``passwords`` module uses."""

    def __init__(self) -> None:
        self.hasher = PasswordHasher()
        self.password = secrets.token_urlsafe(18)
        self.digest = self.hasher.hash(self.password)
        self.parameters = (
            f"argon2id t={self.hasher.time_cost} m={self.hasher.memory_cost} KiB "
            f"p={self.hasher.parallelism}"
        )

    def __call__(self) -> None:
        self.hasher.verify(self.digest, self.password)


def interleaved(
    samples: int, actions: dict[str, Callable[[], object]], label: str
) -> dict[str, list[float]]:
    """Time each action once per round, round after round, so that the machine's
    noise (it is shared) falls on every series alike and their ratios hold."""
    progress = Progress(label)
    seconds: dict[str, list[float]] = {name: [] for name in actions}
    for done in range(1, samples + 1):
        for name, action in actions.items():
            began = time.perf_counter()
            action()
            seconds[name].append(time.perf_counter() - began)
        progress(done, samples)
    return seconds


def paired_ratio(numerator: list[float], denominator: list[float]) -> float:
    """The median, over rounds, of one series' time over another's in the same round."""
    return round(statistics.median(a / b for a, b in zip(numerator, denominator, strict=True)), 2)


def create_account(settings: Settings) -> str:
    """Migrate, and create one agency and one analyst through the service functions.

    Returns the analyst's password.
    """
    password = secrets.token_urlsafe(18)
    engine = migrated_engine(settings)
    try:
        factory = make_sessionmaker(engine)
        operator = command_line("bench")
        with transaction(factory) as session:
            agency = accounts.create_agency(
                session,
                actor=operator,
                name="Bench County Sheriff",
                kind=AgencyKind.LAW_ENFORCEMENT,
            )
            accounts.create_user(
                session,
                actor=operator,
                settings=settings,
                agency_id=agency.id,
                username=USERNAME,
                display_name="Bench Analyst",
                email=None,
                roles={Role.ANALYST},
                password=password,
            )
    finally:
        engine.dispose()
    audit.create_checkpoint_key(settings.resolved_checkpoint_key_file)
    return password


def service_logins(
    settings: Settings, password: str, samples: int, argon2: Argon2Baseline
) -> dict[str, Any]:
    """``check_password`` plus its commit, one sign-in per transaction, beside bare argon2."""
    engine = migrated_engine(settings)
    try:
        factory = make_sessionmaker(engine)

        def sign_in() -> None:
            with transaction(factory) as session:
                result = authentication.check_password(
                    session,
                    settings=settings,
                    actor=anonymous(secrets.token_hex(16), "127.0.0.1"),
                    username=USERNAME,
                    password=password,
                )
            if result.outcome is not Outcome.SIGNED_IN:
                raise RuntimeError(f"benchmark sign-in did not succeed: {result.outcome}")

        sign_in()  # warm-up: connection, statement caches
        argon2()
        seconds = interleaved(
            samples, {"argon2": argon2, "check_password": sign_in}, "check_password"
        )
    finally:
        engine.dispose()
    return {
        "argon2_verify": {"parameters": argon2.parameters, **latency_summary(seconds["argon2"])},
        "check_password": {
            **latency_summary(seconds["check_password"]),
            "paired_ratio_to_argon2": paired_ratio(seconds["check_password"], seconds["argon2"]),
        },
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def web_app_present() -> bool:
    return importlib.util.find_spec("vigil.web.app") is not None


@contextmanager
def served(settings: Settings, log_path: Path) -> Any:
    """uvicorn serving ``create_app`` (which reads the VIGIL_* environment) in a subprocess."""
    port = free_port()
    env = {
        **os.environ,
        "VIGIL_DEMO_MODE": "true",
        "VIGIL_DATA_DIR": str(settings.data_dir),
        "VIGIL_SECRET_KEY": settings.secret_key.get_secret_value(),
        "VIGIL_LOG_LEVEL": "WARNING",
    }
    if settings.database_url:
        env["VIGIL_DATABASE_URL"] = settings.database_url
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "vigil.web.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    base_url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
        try:
            _wait_until_up(server, base_url, log_path)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_up(server: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(
                f"uvicorn exited with {server.returncode}:\n{log_path.read_text()[-3000:]}"
            )
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"uvicorn did not answer /health in {SERVER_START_SECONDS:.0f}s")


class _CsrfField(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name") == "csrf_token":
            self.value = found.get("value")


def csrf_token(page: str) -> str:
    parser = _CsrfField()
    parser.feed(page)
    if not parser.value:
        raise RuntimeError("GET /login has no csrf_token hidden input")
    return parser.value


def http_logins(
    settings: Settings, password: str, samples: int, argon2: Argon2Baseline
) -> dict[str, Any]:
    """Sequential browser-style sign-ins, each round also timing GET /health and argon2."""
    log_path = settings.data_dir / "uvicorn.log"
    with served(settings, log_path) as base_url, httpx.Client(base_url=base_url) as client:
        form: dict[str, str] = {}

        def health() -> None:
            client.get("/health").raise_for_status()

        def get_login() -> None:
            client.cookies.clear()  # a fresh browser: new CSRF cookie, no session
            page = client.get("/login")
            page.raise_for_status()
            form.update(
                username=USERNAME, password=password, csrf_token=csrf_token(page.text), next="/"
            )

        def post_login() -> None:
            answer = client.post("/login", data=form)
            if answer.status_code != 303 or "vigil_session" not in answer.cookies:
                raise RuntimeError(
                    f"POST /login answered {answer.status_code}, not a signed-in 303:\n"
                    f"{answer.text[:500]}"
                )

        actions: dict[str, Callable[[], object]] = {
            "health": health,
            "argon2": argon2,
            "get_login": get_login,
            "post_login": post_login,
        }
        interleaved(5, actions, "HTTP warm-up")  # imports, templates, statement caches
        seconds = interleaved(samples, actions, "HTTP sign-in")
    sign_in = [
        get + post for get, post in zip(seconds["get_login"], seconds["post_login"], strict=True)
    ]
    return {
        "health": latency_summary(seconds["health"]),
        "argon2_verify": latency_summary(seconds["argon2"]),
        "get_login": latency_summary(seconds["get_login"]),
        "post_login": {
            **latency_summary(seconds["post_login"]),
            "paired_ratio_to_argon2": paired_ratio(seconds["post_login"], seconds["argon2"]),
            "paired_ratio_to_health": paired_ratio(seconds["post_login"], seconds["health"]),
        },
        "get_and_post": {
            **latency_summary(sign_in),
            "paired_ratio_to_argon2": paired_ratio(sign_in, seconds["argon2"]),
        },
    }


def run_backend(backend: str, *, samples: int, http: bool) -> dict[str, Any]:
    """Service-level and HTTP sign-in figures on one throwaway database."""
    with throwaway_settings(backend, demo_mode=True) as settings:
        password = create_account(settings)
        engine = migrated_engine(settings)
        server = server_description(engine)
        engine.dispose()
        argon2 = Argon2Baseline()
        figures: dict[str, Any] = {
            "backend": backend,
            "server": server,
            "load_average_at_start": load_average(),
        }
        say(f"[login/{backend}] {server}")
        say(f"[login/{backend}] authentication.check_password and bare argon2 x{samples}")
        figures["service"] = service_logins(settings, password, samples, argon2)
        if not http:
            figures["http"] = {"skipped": "not requested"}
        elif not web_app_present():
            figures["http"] = {"skipped": "src/vigil/web/app.py does not exist yet"}
        else:
            say(f"[login/{backend}] HTTP sign-ins through uvicorn x{samples}")
            figures["http"] = http_logins(settings, password, samples, argon2)
        figures["load_average_at_end"] = load_average()
        return figures


def summary_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    if "error" in figures:
        return [(f"sign-in {figures['backend']}", f"FAILED: {figures['error']}")]
    backend = figures["backend"]

    def line(summary: dict[str, Any]) -> str:
        ratio = summary.get("paired_ratio_to_argon2")
        text = f"p50 {summary['p50_ms']:7.2f} ms  p99 {summary['p99_ms']:7.2f} ms  n={summary['n']}"
        return text + (f"  ({ratio:.2f}x argon2, paired)" if ratio is not None else "")

    service = figures["service"]
    rows = [
        (f"argon2 verify, bare ({backend} service run)", line(service["argon2_verify"])),
        (f"check_password + commit, {backend}", line(service["check_password"])),
    ]
    http = figures["http"]
    if "skipped" in http:
        rows.append((f"HTTP sign-in, {backend}", f"skipped: {http['skipped']}"))
        return rows
    rows += [
        (f"argon2 verify, bare ({backend} HTTP run)", line(http["argon2_verify"])),
        (f"HTTP GET /health, {backend}", line(http["health"])),
        (f"HTTP GET /login, {backend}", line(http["get_login"])),
        (f"HTTP POST /login, {backend}", line(http["post_login"])),
        (f"HTTP GET+POST sign-in, {backend}", line(http["get_and_post"])),
    ]
    return rows


def print_table(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--logins",
        type=int,
        default=200,
        help="timed sign-ins (and argon2/health samples) per backend",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--no-http", action="store_true", help="service level only")
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


def run_one(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    return run_backend(backend, samples=args.logins, http=not args.no_http)


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    return [run_one(args, backend) for backend in backends(args.backend)]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    results = run(args)
    print_table([row for figures in results for row in summary_rows(figures)])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
