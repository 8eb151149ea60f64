"""`vigil link run|status|match` from the shell, on SQLite and PostgreSQL: a run with a
progress display and a summary, the run history, placing a late mention, and a
failed run that says what failed and changes nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.factories import make_agency
from tests.reports.factories import make_report
from tests.test_cli import cli_env, engine_for, run, setup_instance  # noqa: F401 - fixture
from vigil.linkage import engine as linkage_engine
from vigil.linkage.models import LinkRun, PersonMention
from vigil.platform.database import make_sessionmaker, transaction

PEOPLE = [
    ("Avery", "Nguyen", "1990-02-03", "(555) 210-4411"),
    ("Blake", "Schmidt", "1985-07-19", "(555) 330-9012"),
    ("Casey", "Haddad", "2001-11-30", "(555) 901-2231"),
    ("Devon", "Novak", "1978-05-05", "(555) 412-7788"),
    ("Emery", "Tanaka", "1999-09-09", "(555) 623-1200"),
    ("Finley", "Rivera", "1969-12-24", "(555) 777-0101"),
]


def _mention(given: str, family: str, dob: str, phone: str) -> dict[str, object]:
    from datetime import date

    return {
        "given_name": given,
        "family_name": family,
        "date_of_birth": date.fromisoformat(dob),
        "phones": [phone],
    }


def _file(env: dict[str, str], people: list[tuple[str, str, str, str]]) -> None:
    engine = engine_for(env)
    try:
        with transaction(make_sessionmaker(engine)) as db:
            agency = make_agency(db)
            for person in people:
                make_report(db, agency=agency, mentions=[_mention(*person)])
    finally:
        engine.dispose()


def test_link_run_status_and_match(cli_env: dict[str, str]) -> None:  # noqa: F811
    setup_instance(cli_env)
    _file(cli_env, PEOPLE * 3)  # each person reported three times
    code, out = run(cli_env, "link", "run", "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert summary["status"] == "succeeded"
    assert summary["mention_count"] == 18 and summary["person_count"] == 6
    code, out = run(cli_env, "link", "status")
    assert code == 0 and summary["run_key"] in out and "succeeded" in out
    _file(cli_env, PEOPLE[:1])  # a late report about someone known
    code, out = run(cli_env, "link", "match")
    assert code == 0 and "1 mentions placed" in out, out
    engine = engine_for(cli_env)
    try:
        with make_sessionmaker(engine)() as db:
            persons = db.execute(
                select(func.count(func.distinct(PersonMention.person_id)))
            ).scalar_one()
            assert persons == 6
    finally:
        engine.dispose()


def test_a_failed_run_says_what_failed(
    cli_env: dict[str, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup_instance(cli_env)
    _file(cli_env, PEOPLE * 2)

    def broken(*args: object, **kwargs: object) -> None:
        raise MemoryError("out of memory while training")

    monkeypatch.setattr(linkage_engine, "train", broken)
    code, out = run(cli_env, "link", "run")
    assert code == 1
    assert "previous clusters are unchanged" in out and "MemoryError" in out
    engine = engine_for(cli_env)
    try:
        with make_sessionmaker(engine)() as db:
            assert db.execute(select(LinkRun.status)).scalars().all() == ["failed"]
            assert db.execute(select(func.count()).select_from(PersonMention)).scalar_one() == 0
    finally:
        engine.dispose()
    code, out = run(cli_env, "link", "run", "--backend", "hadoop")
    assert code == 2 and "Unknown backend" in out
