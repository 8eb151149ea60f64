"""Bulk import through its two doors: the upload page over the real HTTP stack (CSRF,
roles, the validation report, hostile text and file names made harmless) and
`vigil import reports` through Typer's runner against a fresh database."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.conftest import (
    TEST_SECRET,
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
)
from tests.factories import make_agency, make_user
from vigil.cli import app as cli
from vigil.platform import sessions
from vigil.platform.database import make_engine
from vigil.platform.models import AuditEvent, User
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.reports.models import Report
from vigil.web.app import create_app
from vigil.web.csrf import CSRF_COOKIE
from vigil.web.deps import SESSION_COOKIE

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
GOOD = b"narrative,kind,subject_given_name\nHe bought a rifle,tip,Jordan\nA quiet tip,sar,\n"
BAD = b"narrative,kind\nHe bought a rifle,tip\n,sar\n"
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Site:
    def __init__(self, settings: Settings, factory: sessionmaker[Session], db: Session) -> None:
        self.app = create_app(settings, session_factory=factory)
        self.factory = factory
        self.db = db
        self.agency = make_agency(db, name="Riverside Police")
        self.analyst = make_user(db, agency=self.agency, roles={Role.ANALYST})
        self.auditor = make_user(db, agency=self.agency, roles={Role.AUDITOR})
        db.commit()
        self.clients: list[TestClient] = []

    def browser(self, user: User) -> tuple[TestClient, str]:
        raw, _ = sessions.start_session(self.db, user=user, mfa_verified=True)
        self.db.commit()
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        self.clients.append(client)
        client.cookies.set(SESSION_COOKIE, raw)
        found = CSRF_INPUT.search(client.get("/login").text)
        assert found and client.cookies.get(CSRF_COOKIE)
        return client, found.group(1)

    def reports(self) -> list[Report]:
        with self.factory() as fresh:
            return list(fresh.execute(select(Report).order_by(Report.id)).scalars())

    def import_audits(self) -> list[AuditEvent]:
        with self.factory() as fresh:
            return list(
                fresh.execute(
                    select(AuditEvent).where(AuditEvent.action == "report.import")
                ).scalars()
            )


@pytest.fixture()
def site(settings: Settings, session_factory: sessionmaker[Session], db: Session) -> Iterator[Site]:
    built = Site(settings, session_factory, db)
    yield built
    for client in built.clients:
        client.close()


def upload(
    client: TestClient, token: str | None, data: bytes, name: str = "reports.csv", **form: str
) -> httpx.Response:
    fields = {"format": "auto", **form}
    if token is not None:
        fields["csrf_token"] = token
    return client.post("/reports/import", data=fields, files={"file": (name, data, "text/csv")})


def test_the_upload_page_imports_a_file_and_needs_the_form_token(site: Site) -> None:
    client, token = site.browser(site.analyst)
    page = client.get("/reports/import")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and "<code>subject_dob</code>" in page.text
    assert upload(client, None, GOOD).status_code == 403
    assert site.reports() == []
    answer = upload(client, token, GOOD)
    assert answer.status_code == 200, answer.text
    assert "Imported 2 of 2 rows" in answer.text
    assert [r.narrative for r in site.reports()] == ["He bought a rifle", "A quiet tip"]
    missing = client.post("/reports/import", data={"csrf_token": token, "format": "csv"})
    assert missing.status_code == 422 and "Choose a CSV or JSON file" in missing.text


def test_only_filers_see_the_page(site: Site) -> None:
    client, token = site.browser(site.auditor)
    assert client.get("/reports/import").status_code == 403
    assert upload(client, token, GOOD).status_code == 403
    assert site.reports() == []


def test_a_rejected_file_lists_every_row_stores_nothing_and_keeps_its_audit(site: Site) -> None:
    client, token = site.browser(site.analyst)
    answer = upload(client, token, BAD)
    assert answer.status_code == 422
    assert "Nothing was imported" in answer.text
    assert "row 3" in answer.text and "narrative: is required (the cell is empty)" in answer.text
    assert site.reports() == []
    (audited,) = site.import_audits()
    assert audited.outcome == "failure" and audited.details["rejected"] == 1
    kept = upload(client, token, BAD, partial="on")
    assert kept.status_code == 200 and "Imported 1 of 2 rows" in kept.text
    assert len(site.reports()) == 1


def test_refused_files_get_a_clear_page_not_a_crash(site: Site) -> None:
    client, token = site.browser(site.analyst)
    cases = {
        gzip.compress(GOOD): "gzip-compressed",
        "narrative\nCaf\u00e9\n".encode("latin-1"): "not UTF-8",
        b"": "The file is empty.",
        b'[{"narrative": ': "malformed JSON",
        b"narrative,<b>bold</b>\nx,y\n": "unknown column &#39;&lt;b&gt;bold&lt;/b&gt;&#39;",
    }
    for data, message in cases.items():
        answer = upload(client, token, data)
        assert answer.status_code == 422, answer.text
        assert message in answer.text
    assert site.reports() == []
    assert len(site.import_audits()) == len(cases)


def test_markup_in_every_text_field_is_inert_on_the_report_page(site: Site) -> None:
    client, token = site.browser(site.analyst)
    columns = [
        "narrative", "location_text", "weapons", "target_name", "subject_given_name",
        "subject_middle_name", "subject_family_name", "subject_aliases", "subject_phones",
        "subject_emails", "subject_handles", "subject_addresses", "subject_school_or_employer",
        "subject_description",
    ]  # fmt: skip
    quoted = '"' + SCRIPT.replace('"', '""') + '"'
    data = (",".join(columns) + "\n" + ",".join([quoted] * len(columns)) + "\n").encode()
    assert upload(client, token, data).status_code == 200
    (report,) = site.reports()
    page = client.get(f"/reports/{report.id}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "onerror=alert(1)>" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


def test_path_tricks_in_the_file_name_only_change_the_name_shown(site: Site) -> None:
    client, token = site.browser(site.analyst)
    for name in ("../../../etc/passwd", "..\\..\\boot.ini", "/dev/zero", "x\u202egpj.csv"):
        answer = upload(client, token, GOOD, name=name)
        assert answer.status_code == 200, answer.text
    shown = [audit.details["file"] for audit in site.import_audits()]
    assert shown == ["passwd", "boot.ini", "zero", "xgpj.csv"]
    assert len(site.reports()) == 8


# --- the command line ------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture(params=["sqlite", "postgresql"])
def cli_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        "VIGIL_DATA_DIR": str(tmp_path / "data"),
        "VIGIL_SECRET_KEY": TEST_SECRET,
        "VIGIL_DEMO_MODE": "false",
    }
    url = None
    if request.param == "postgresql":
        require_postgres()
        url = env["VIGIL_DATABASE_URL"] = create_postgres_database()
    try:
        assert run(env, "init")[0] == 0
        assert run(env, "agency", "create", "Riverside Police")[0] == 0
        yield env
    finally:
        if url:
            drop_postgres_database(url)


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def stored(env: dict[str, str]) -> list[str]:
    engine = make_engine(
        Settings(
            data_dir=Path(env["VIGIL_DATA_DIR"]),
            database_url=env.get("VIGIL_DATABASE_URL"),
            secret_key=TEST_SECRET,
        )
    )
    try:
        with Session(engine) as db:
            return list(db.execute(select(Report.narrative).order_by(Report.id)).scalars())
    finally:
        engine.dispose()


def test_cli_imports_with_a_progress_bar_and_exit_codes(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(GOOD)
    bad.write_bytes(BAD)
    code, out = run(cli_env, "import", "reports", str(good), "--agency", "riverside police")
    assert code == 0, out
    assert "Importing reports" in out and "Imported 2 of 2 rows of good.csv" in out
    assert stored(cli_env) == ["He bought a rifle", "A quiet tip"]

    report = tmp_path / "report.json"
    code, out = run(
        cli_env, "import", "reports", str(bad), "--agency", "1", "--report-file", str(report)
    )
    assert code == 1 and "Nothing was imported from bad.csv" in out
    assert "row 3: narrative: is required (the cell is empty)" in out
    written = json.loads(report.read_text(encoding="utf-8"))
    assert (written["rows"], written["imported"], written["rejected"]) == (2, 0, 1)
    assert written["rejections"] == [
        {"row": 3, "where": "row 3", "reasons": ["narrative: is required (the cell is empty)"]}
    ]
    assert len(stored(cli_env)) == 2

    code, out = run(cli_env, "import", "reports", str(bad), "--agency", "1", "--partial")
    assert code == 1 and "Imported 1 of 2 rows" in out
    assert len(stored(cli_env)) == 3


def test_cli_refusals_and_usage_errors(cli_env: dict[str, str], tmp_path: Path) -> None:
    good, packed = tmp_path / "good.csv", tmp_path / "reports.csv"
    good.write_bytes(GOOD)
    packed.write_bytes(gzip.compress(GOOD))
    code, out = run(cli_env, "import", "reports", str(packed), "--agency", "1")
    assert code == 1 and "gzip-compressed" in out
    usage = [
        ["import", "reports", str(good), "--agency", "Nobody"],
        ["import", "reports", str(tmp_path / "missing.csv"), "--agency", "1"],
        ["import", "reports", str(good)],
        ["import", "reports", str(good), "--agency", "1", "--format", "xml"],
        ["import", "reports", str(good), "--agency", "1", "--report-file", "/nonexistent/r.json"],
    ]
    for args in usage:
        code, out = run(cli_env, *args)
        assert code == 2, (args, out)
    assert stored(cli_env) == []
