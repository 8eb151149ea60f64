"""The server's after-commit matcher: committing a transaction that filed a mention
makes a worker thread place it against the latest run's persons, in its own
transaction; a rolled-back filing places nothing. Real commits, so a fresh database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    make_settings,
    require_postgres,
)
from tests.factories import make_agency
from tests.linkage.test_run_cli import PEOPLE, _mention
from tests.reports.factories import make_report
from vigil.linkage import matching, runs
from vigil.linkage.models import PersonMention
from vigil.platform import migrate
from vigil.platform.actor import command_line
from vigil.platform.database import make_engine, make_sessionmaker, transaction


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = None
    if request.param == "postgresql":
        require_postgres()
        url = create_postgres_database()
    engine = make_engine(make_settings(tmp_path, url))
    migrate.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        if url:
            drop_postgres_database(url)


def _person_of(factory: sessionmaker[Session], mention_id: int) -> int | None:
    with factory() as db:
        return db.execute(
            select(PersonMention.person_id).where(PersonMention.mention_id == mention_id)
        ).scalar_one_or_none()


class Counting(matching.AfterCommitMatcher):
    submitted = 0

    def submit(self) -> None:
        self.submitted += 1
        super().submit()


def test_a_committed_filing_is_matched_by_the_worker(fresh: Engine) -> None:
    factory = make_sessionmaker(fresh)
    with transaction(factory) as db:
        agency = make_agency(db)
        first = [
            make_report(db, agency=agency, mentions=[_mention(*p)]).mentions[0].id
            for p in PEOPLE * 2
        ]
    runs.run_linkage(factory, actor=command_line("test"))
    matcher = Counting(factory)
    matching.install_after_commit(factory, matcher)
    try:
        with transaction(factory) as db:
            agency = make_agency(db)
            late = make_report(db, agency=agency, mentions=[_mention(*PEOPLE[2])]).mentions[0].id
        with pytest.raises(RuntimeError), transaction(factory) as db:
            lost = make_report(db, agency=agency, mentions=[_mention(*PEOPLE[3])]).mentions[0].id
            raise RuntimeError("the filing failed")
    finally:
        matcher.shutdown()  # waits for the worker
    known = _person_of(factory, first[2])
    assert known is not None and _person_of(factory, late) == known
    assert _person_of(factory, lost) is None
    assert matcher.submitted == 1  # the rolled-back filing asked for nothing
