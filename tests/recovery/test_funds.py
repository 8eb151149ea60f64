"""The donated fund as a workflow on both databases: a draft published for comment
(comments recorded) before the final protocol; claims checked against the incident's
records, an ineligible one refused; payments that sum to the fund; a public report that
names no one; and a published input that `vigil recover distribute` re-runs to the same
payments."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.recovery.factories import People, make_people
from tests.recovery.incident_world import open_incident
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.policy import PermissionDenied
from vigil.platform.types import utcnow
from vigil.recovery import fund_report, funds
from vigil.recovery.cli import recover_app
from vigil.recovery.funds import TierSpec

TODAY = utcnow().date()
TIERS = [
    TierSpec("killed", "Killed", "killed", "4"),
    TierSpec("hospital-1-7", "Hospitalised 1 to 7 nights", "hospitalised", "1.5", 1, 7),
    TierSpec("hospital-8", "Hospitalised 8 nights or more", "hospitalised", "2.5", 8, None),
    TierSpec("injured", "Injured, treated without admission", "injured", "0.5"),
    TierSpec("present", "Present and psychologically harmed", "present", "0.1"),
]
FUND_CENTS = 1_000_000_01  # a million dollars and one cent: something to round


@pytest.fixture()
def people(db: Session) -> People:
    return make_people(db)


@pytest.fixture()
def fund_id(db: Session, people: People) -> int:
    incident = open_incident(db, people.police)
    return funds.create_fund(
        db, actor=people.actor(people.supervisor), incident_id=incident, name="Valley Strong Fund"
    ).id


def _draft(db: Session, people: People, fund_id: int, **extra: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "stage": "draft",
        "fund_cents": FUND_CENTS,
        "tiers": TIERS,
        "comment_until": TODAY + timedelta(days=14),
    }
    values.update(extra)
    return funds.publish_protocol(
        db,
        actor=people.actor(people.supervisor),
        fund_id=fund_id,
        **values,  # type: ignore[arg-type]
    )


def _final(db: Session, people: People, fund_id: int):  # type: ignore[no-untyped-def]
    return funds.publish_protocol(
        db,
        actor=people.actor(people.supervisor),
        fund_id=fund_id,
        stage="final",
        fund_cents=FUND_CENTS,
        tiers=TIERS,
        today=TODAY + timedelta(days=15),
    )


def test_tiers_are_checked() -> None:
    assert funds.check_tiers(TIERS) == {}
    gap = [*TIERS[:1], TierSpec("h", "H", "hospitalised", "1", 2, None)]
    assert "tiers" in funds.check_tiers(gap)
    closed = [TierSpec("h", "H", "hospitalised", "1", 1, 5)]
    assert "tiers" in funds.check_tiers(closed)
    bad = [TierSpec("Killed!", "", "maimed", "-1"), TierSpec("x", "X", "killed", "1e3")]
    errors = funds.check_tiers(bad)
    assert {
        "tiers.1.id",
        "tiers.1.label",
        "tiers.1.harm",
        "tiers.1.weight",
        "tiers.2.weight",
    } <= set(errors)
    two_killed = [TierSpec("a", "A", "killed", "1"), TierSpec("b", "B", "killed", "2")]
    assert "tiers" in funds.check_tiers(two_killed)
    assert funds.tier_for(TIERS, "hospitalised", 7).id == "hospital-1-7"  # type: ignore[union-attr]
    assert funds.tier_for(TIERS, "hospitalised", 8).id == "hospital-8"  # type: ignore[union-attr]
    assert funds.tier_for(TIERS[:1], "present", None) is None


def test_a_draft_for_comment_comes_before_the_final_protocol(
    db: Session, people: People, fund_id: int
) -> None:
    supervisor = people.actor(people.supervisor)
    with pytest.raises(InvalidInput) as problem:
        _final(db, people, fund_id)
    assert "draft" in problem.value.errors["stage"]
    with pytest.raises(InvalidInput):
        _draft(db, people, fund_id, comment_until=TODAY)  # no time to comment
    draft = _draft(db, people, fund_id)
    assert draft.version == 1 and draft.stage == "draft"
    # Comments are recorded by staff, within the period.
    funds.record_comment(
        db,
        actor=people.actor(people.advocate),
        fund_id=fund_id,
        body="Please count nights in hospital from admission, not from surgery.",
        commenter="A parent",
    )
    with pytest.raises(InvalidInput):
        funds.record_comment(
            db,
            actor=people.actor(people.advocate),
            fund_id=fund_id,
            body="Too late",
            received_on=TODAY + timedelta(days=30),
        )
    assert len(funds.comments(db, actor=supervisor, fund_id=fund_id)) == 1
    # Not final while the comment period runs.
    with pytest.raises(InvalidInput) as problem:
        funds.publish_protocol(
            db,
            actor=supervisor,
            fund_id=fund_id,
            stage="final",
            fund_cents=FUND_CENTS,
            tiers=TIERS,
            today=TODAY + timedelta(days=3),
        )
    assert "open for comment" in problem.value.errors["stage"]
    # Only supervisors publish.
    with pytest.raises(PermissionDenied):
        funds.publish_protocol(
            db,
            actor=people.actor(people.advocate),
            fund_id=fund_id,
            stage="draft",
            fund_cents=1,
            tiers=TIERS,
            comment_until=TODAY + timedelta(days=1),
        )
    final = _final(db, people, fund_id)
    assert (final.version, final.stage) == (2, "final")
    with pytest.raises(Conflict):
        _final(db, people, fund_id)
    with pytest.raises(Conflict):
        funds.record_comment(db, actor=supervisor, fund_id=fund_id, body="After the final")


def _claim(  # type: ignore[no-untyped-def]
    db: Session,
    people: People,
    fund_id: int,
    name: str,
    harm: str,
    record: str | None,
    nights: int | None = None,
):
    return funds.submit_claim(
        db,
        actor=people.actor(people.advocate),
        fund_id=fund_id,
        claimant_name=name,
        harm=harm,
        nights=nights,
        evidence_record=record,
        evidence_document=None if record else "Letter from St. Mary's, 2026-11-21",
    )


CLAIMS = [
    ("Estate of Ana Ruiz", "killed", "me1", None),
    ("Estate of Ben Cole", "killed", "me2", None),
    ("Carla Diaz", "hospitalised", "h1", 3),
    ("Dev Patel", "hospitalised", "h2", 12),
    ("Eli Moss", "injured", "h3", None),
    ("Fay Lin", "present", "r1", None),
    ("Gus Ortiz", "present", "r2", None),
]


def _approved_fund(db: Session, people: People, fund_id: int) -> None:
    _draft(db, people, fund_id)
    _final(db, people, fund_id)
    supervisor = people.actor(people.supervisor)
    for name, harm, record, nights in CLAIMS:
        claim = _claim(db, people, fund_id, name, harm, record, nights)
        assert claim.evidence_check == "matched", name
        funds.decide_claim(db, actor=supervisor, claim_id=claim.id, approve=True)


def test_a_claim_the_records_do_not_support_is_refused(
    db: Session, people: People, fund_id: int
) -> None:
    _draft(db, people, fund_id)
    _final(db, people, fund_id)
    supervisor = people.actor(people.supervisor)
    # A death claimed for someone on the roster only: not the medical examiner's list.
    wrong = _claim(db, people, fund_id, "Hal Ives", "killed", "r3")
    assert wrong.evidence_check == "wrong_list"
    unknown = _claim(db, people, fund_id, "Ivy Jones", "present", "nobody-1")
    assert unknown.evidence_check == "not_found"
    paper = _claim(db, people, fund_id, "Jon Kay", "injured", None)
    assert paper.evidence_check is None
    for claim in (wrong, unknown, paper):
        with pytest.raises(InvalidInput) as problem:
            funds.decide_claim(db, actor=supervisor, claim_id=claim.id, approve=True)
        assert "records do not confirm" in problem.value.errors["decision"]
    with pytest.raises(InvalidInput) as problem:
        funds.decide_claim(db, actor=supervisor, claim_id=wrong.id, approve=False)
    assert "reason" in problem.value.errors
    refused = funds.decide_claim(
        db,
        actor=supervisor,
        claim_id=wrong.id,
        approve=False,
        reason="Not on the medical examiner's list for this incident.",
    )
    assert refused.status == "refused"
    with pytest.raises(PermissionDenied):
        funds.decide_claim(
            db, actor=people.actor(people.advocate), claim_id=unknown.id, approve=False, reason="x"
        )
    with pytest.raises(InvalidInput):
        _claim(db, people, fund_id, "Kim Lo", "hospitalised", "h1")  # nights missing


def test_payments_sum_to_the_fund_and_the_cli_reproduces_them(
    db: Session, people: People, fund_id: int, tmp_path: Path
) -> None:
    _approved_fund(db, people, fund_id)
    supervisor = people.actor(people.supervisor)
    distribution = funds.calculate(db, actor=supervisor, fund_id=fund_id)
    paid = funds.payments(db, actor=supervisor, fund_id=fund_id)
    assert sum(p.amount_cents for p, _ in paid) == FUND_CENTS
    by_name = {claim.claimant_name: payment for payment, claim in paid}
    assert by_name["Estate of Ana Ruiz"].tier == "killed"
    assert by_name["Dev Patel"].tier == "hospital-8"
    assert by_name["Carla Diaz"].tier == "hospital-1-7"
    # Equal amounts within a tier, to the cent the remainder rule hands out.
    assert (
        abs(by_name["Estate of Ana Ruiz"].amount_cents - by_name["Estate of Ben Cole"].amount_cents)
        <= 1
    )
    with pytest.raises(Conflict):
        funds.calculate(db, actor=supervisor, fund_id=fund_id)

    # Anyone signed in downloads the input and re-runs it with the command line.
    reader = people.actor(people.outsiders["police:analyst"])
    name, text = fund_report.input_document(db, actor=reader, fund_id=fund_id)
    assert text == distribution.input_json and name.endswith(".json")
    document = json.loads(text)
    assert set(document) == {"fund_cents", "tiers", "claimants"}
    assert "Ruiz" not in text and "Diaz" not in text
    source = tmp_path / "protocol.json"
    source.write_text(text, encoding="utf-8")
    output = tmp_path / "payments.csv"
    result = CliRunner().invoke(recover_app, ["distribute", str(source), "--output", str(output)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    assert {(r["claimant_id"], r["tier"], int(r["amount_cents"])) for r in rows} == {
        (p.anonymous_id, p.tier, p.amount_cents) for p, _ in paid
    }

    # Payments are recorded as made.
    first = paid[0][0]
    with pytest.raises(InvalidInput):
        funds.record_payment(
            db,
            actor=supervisor,
            payment_id=first.id,
            paid_on=TODAY + timedelta(days=2),
            reference="x",
        )
    funds.record_payment(
        db, actor=supervisor, payment_id=first.id, paid_on=TODAY, reference="Cheque 1001"
    )
    with pytest.raises(Conflict):
        funds.record_payment(
            db, actor=supervisor, payment_id=first.id, paid_on=TODAY, reference="Cheque 1001"
        )


def test_the_public_report_names_no_one(db: Session, people: People, fund_id: int) -> None:
    _approved_fund(db, people, fund_id)
    supervisor = people.actor(people.supervisor)
    refused = _claim(db, people, fund_id, "Zed Fakename", "killed", "r3")
    funds.decide_claim(
        db, actor=supervisor, claim_id=refused.id, approve=False, reason="Not on the ME list"
    )
    funds.calculate(db, actor=supervisor, fund_id=fund_id)
    report = fund_report.public_report(
        db, actor=people.actor(people.outsiders["fusion:analyst"]), fund_id=fund_id
    )
    assert report.distributed_cents == FUND_CENTS
    assert [p.stage for p in report.protocols] == ["draft", "final"]
    assert {r.tier.id: r.claimants for r in report.results} == {
        "killed": 2,
        "hospital-1-7": 1,
        "hospital-8": 1,
        "injured": 1,
        "present": 2,
    }
    assert report.payments_due == len(CLAIMS) and report.payments_made == 0
    # Decisions are small counts here: suppressed.
    assert all(cell.count is None for cell in report.decisions.cells if cell.key != "submitted")
    assert all(cell.count in (None, 0) for cell in report.refused_by_harm.cells)
    text = repr(report)
    for name, *_ in [*CLAIMS, ("Zed Fakename",)]:
        assert name not in text
    assert "Person " not in text  # nor the names on the incident's lists


def test_nothing_is_published_before_a_protocol(db: Session, people: People, fund_id: int) -> None:
    reader = people.actor(people.outsiders["police:analyst"])
    with pytest.raises(NotFound):
        fund_report.public_report(db, actor=reader, fund_id=fund_id)
    _draft(db, people, fund_id)
    assert fund_report.public_report(db, actor=reader, fund_id=fund_id).protocols
    with pytest.raises(NotFound):
        fund_report.input_document(db, actor=reader, fund_id=fund_id)


def test_calculation_waits_for_every_decision(db: Session, people: People, fund_id: int) -> None:
    _draft(db, people, fund_id)
    _final(db, people, fund_id)
    _claim(db, people, fund_id, "Lee Moe", "present", "r1")
    with pytest.raises(InvalidInput) as problem:
        funds.calculate(db, actor=people.actor(people.supervisor), fund_id=fund_id)
    assert "waiting" in problem.value.errors["fund"]


def test_a_final_protocol_needs_no_time_travel(db: Session, people: People, fund_id: int) -> None:
    # The draft's period is checked against the day the final is published.
    _draft(db, people, fund_id, comment_until=date.today() + timedelta(days=1))
    with pytest.raises(InvalidInput):
        funds.publish_protocol(
            db,
            actor=people.actor(people.supervisor),
            fund_id=fund_id,
            stage="final",
            fund_cents=FUND_CENTS,
            tiers=TIERS,
        )
