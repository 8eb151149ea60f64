"""The demo database: every domain's synthetic data, built in order on a fresh database.

`vigil demo` calls ``build`` and then serves; the browser crawl of the test suite
builds the same world, so whatever a domain adds here is crawled too.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vigil.platform.actor import Actor
from vigil.platform.database import transaction
from vigil.platform.demo import DemoLogin
from vigil.platform.models import Agency
from vigil.platform.settings import Settings


def build(
    factory: sessionmaker[Session],
    *,
    settings: Settings,
    actor: Actor,
    say: Callable[[str], None] = lambda _line: None,
) -> list[DemoLogin]:
    """Seed agencies, users and each domain's demo records; the logins, shown once."""
    from vigil.assessment import demo_cases
    from vigil.linkage import runs as link_runs
    from vigil.platform import demo as demo_data
    from vigil.reports import demo_reports

    with transaction(factory) as db:
        logins = demo_data.seed(db, settings=settings, actor=actor)
        agencies = list(db.execute(select(Agency).order_by(Agency.id)).scalars())
        filed = demo_reports.seed_reports(db, actor=actor, settings=settings, agencies=agencies)
    say(f"Filed {filed} synthetic reports; linking the people they mention...")
    linked = link_runs.run_linkage(factory, actor=actor, backend="duckdb")
    say(
        f"{linked.mention_count} mentions in {linked.person_count} persons, "
        f"{linked.review_count} possible matches to review."
    )
    with transaction(factory) as db:
        opened = demo_cases.seed_cases(db)
    say(f"Opened {opened} threat-assessment cases.")
    from vigil.response import demo_response

    with transaction(factory) as db:
        incident = demo_response.seed_response(db)
    if incident is not None:
        say(
            f"Response: {demo_response.INCIDENT_NAME} with {incident.roster} students on the "
            f"roster, {incident.patients} hospital patients, {incident.inquiries} inquiries "
            f"({incident.candidates} candidate matches to confirm), {incident.released} released."
        )
    # Recovery comes last: it follows the school incident the response demo opens.
    from vigil.recovery import demo_recovery

    with transaction(factory) as db:
        story = demo_recovery.seed_recovery(db)
    if story is not None:
        say(
            "Recovery: a family assistance center, the Alvarez family's case and the "
            f"Riverton Strong Fund ({story.paid_cents / 100:,.2f} paid to the family)."
        )
    return logins
