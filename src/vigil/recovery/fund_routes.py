"""Pages of a donated fund: the administering provider's work page (protocols, comments,
claims and decisions, the calculation, payments) and what is published to every
signed-in user (the public report and the calculation's input file)."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.routes.forms import RefusedForm, int_from_form, text_from_form
from vigil.recovery import fund_report, funds
from vigil.recovery.assistance_routes import number
from vigil.recovery.funds import TierSpec
from vigil.recovery.pages import (
    form_date,
    form_page,
    form_text,
    render,
    required_form_date,
    submit_form,
)
from vigil.web.deps import ActorDep, PathId, SessionDep

router = APIRouter(include_in_schema=False)

FLASH = {
    "created": "The fund is created; draft its protocol and publish it for comment.",
    "protocol": "The protocol is published.",
    "comment": "The comment is recorded.",
    "claim": "The claim is recorded and its evidence checked against the incident's records.",
    "decided": "The decision is recorded.",
    "calculated": "The payments are calculated; the input file is published.",
    "paid": "The payment is recorded.",
}
DOLLARS = re.compile(r"^\d{1,11}(\.\d{1,2})?$")
MAX_TIER_LINES = 30


def cents_from(text: str, field: str) -> int:
    """Dollars as typed (1,250,000.50) to whole cents, exactly."""
    clean = text.replace(",", "").replace("$", "").strip()
    if not DOLLARS.match(clean):
        raise InvalidInput({field: "Give the amount in dollars, such as 2500000 or 2500000.50."})
    try:
        return int(Decimal(clean) * 100)
    except InvalidOperation:  # the pattern admits only plain decimals
        raise InvalidInput({field: "Give the amount in dollars."}) from None


def tiers_from_text(text: str) -> list[TierSpec]:
    """One tier a line: ``id | label | harm | weight`` and, for hospital tiers,
    ``| first night | last night`` (last empty: open-ended)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_TIER_LINES:
        raise InvalidInput({"tiers": f"Write at most {MAX_TIER_LINES} tiers."})
    tiers: list[TierSpec] = []
    for index, line in enumerate(lines, start=1):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (4, 6):
            raise InvalidInput(
                {"tiers": f"Line {index}: write id | label | harm | weight (| first | last night)."}
            )
        low = high = None
        if len(parts) == 6:
            if not parts[4].isdigit() or (parts[5] and not parts[5].isdigit()):
                raise InvalidInput({"tiers": f"Line {index}: nights are whole numbers."})
            low = int(parts[4][:6])
            high = int(parts[5][:6]) if parts[5] else None
        tiers.append(TierSpec(parts[0], parts[1], parts[2], parts[3], low, high))
    return tiers


def tiers_as_text(tiers: list[TierSpec]) -> str:
    return "\n".join(
        " | ".join(
            [t.id, t.label, t.harm, t.weight]
            + (
                [str(t.min_nights or ""), str(t.max_nights or "")]
                if t.harm == "hospitalised"
                else []
            )
        )
        for t in tiers
    )


def _fund_page(
    request: Request,
    db: Session,
    actor: Actor,
    fund_id: int,
    *,
    form_name: str | None = None,
    refused: RefusedForm | None = None,
    flash: str | None = None,
) -> HTMLResponse:
    fund = funds.get_fund(db, actor=actor, fund_id=fund_id)
    published = funds.protocols(db, fund.id)
    latest = funds.tiers_from(published[-1].tiers) if published else []
    return form_page(
        request,
        "recovery_fund.html",
        {
            "fund": fund,
            "protocols": [(p, funds.tiers_from(p.tiers)) for p in published],
            "tier_text": tiers_as_text(latest),
            "comments": funds.comments(db, actor=actor, fund_id=fund.id),
            "claims": funds.claims(db, actor=actor, fund_id=fund.id),
            "payments": funds.payments(db, actor=actor, fund_id=fund.id),
            "may_manage": funds.may_manage(db, actor),
        },
        form_name=form_name,
        refused=refused,
        flash=flash,
    )


async def _fund_form(
    request: Request,
    db: Session,
    actor: Actor,
    fund_id: int,
    form_name: str,
    done: str,
    work: Callable[[FormData], object],
) -> Response:
    return await submit_form(
        request,
        db,
        form_name=form_name,
        guard=lambda: funds.get_fund(db, actor=actor, fund_id=fund_id),
        work=work,
        done=lambda _: f"/recovery/funds/{fund_id}?done={done}",
        page=lambda refused: _fund_page(
            request, db, actor, fund_id, form_name=form_name, refused=refused
        ),
    )


def _funds_page(
    request: Request, db: Session, actor: Actor, refused: RefusedForm | None = None
) -> HTMLResponse:
    return form_page(
        request,
        "recovery_funds.html",
        {"funds": funds.list_funds(db, actor=actor), "may_manage": funds.may_manage(db, actor)},
        form_name="fund" if refused is not None else None,
        refused=refused,
    )


@router.get("/recovery/funds", response_class=HTMLResponse)
def funds_page(request: Request, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    return _funds_page(request, db, actor)


@router.post("/recovery/funds")
async def create_fund(request: Request, db: SessionDep, actor: ActorDep) -> Response:
    return await submit_form(
        request,
        db,
        form_name="fund",
        guard=lambda: funds.list_funds(db, actor=actor),  # the provider's staff only
        work=lambda form: funds.create_fund(
            db,
            actor=actor,
            incident_id=number(form, "incident_id"),
            name=form_text(form, "name", 200),
        ),
        done=lambda fund: f"/recovery/funds/{fund.id}?done=created",
        page=lambda refused: _funds_page(request, db, actor, refused),
        refused=(InvalidInput,),
    )


@router.get("/recovery/funds/{fund_id}", response_class=HTMLResponse)
def fund_page(
    request: Request, fund_id: PathId, db: SessionDep, actor: ActorDep, done: str = ""
) -> HTMLResponse:
    return _fund_page(request, db, actor, fund_id, flash=FLASH.get(done))


@router.post("/recovery/funds/{fund_id}/protocols")
async def publish_protocol(
    request: Request, fund_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _fund_form(
        request,
        db,
        actor,
        fund_id,
        "protocol",
        "protocol",
        lambda form: funds.publish_protocol(
            db,
            actor=actor,
            fund_id=fund_id,
            stage=text_from_form(form, "stage", 10),
            fund_cents=cents_from(text_from_form(form, "fund_dollars", 40), "fund_dollars"),
            tiers=tiers_from_text(form_text(form, "tiers", 10_000)),
            comment_until=form_date(form, "comment_until", required=False),
        ),
    )


@router.post("/recovery/funds/{fund_id}/comments")
async def record_comment(
    request: Request, fund_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _fund_form(
        request,
        db,
        actor,
        fund_id,
        "comment",
        "comment",
        lambda form: funds.record_comment(
            db,
            actor=actor,
            fund_id=fund_id,
            body=form_text(form, "body", 20_000),
            commenter=form_text(form, "commenter", 200) or None,
            received_on=form_date(form, "received_on", required=False),
        ),
    )


def _nights(form: FormData) -> int | None:
    if not text_from_form(form, "nights", 10).strip():
        return None
    value = int_from_form(form, "nights")
    if value is None:
        raise InvalidInput({"nights": "Give a whole number of nights."})
    return value


@router.post("/recovery/funds/{fund_id}/claims")
async def submit_claim(
    request: Request, fund_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    return await _fund_form(
        request,
        db,
        actor,
        fund_id,
        "claim",
        "claim",
        lambda form: funds.submit_claim(
            db,
            actor=actor,
            fund_id=fund_id,
            claimant_name=form_text(form, "claimant_name", 200),
            harm=text_from_form(form, "harm", 20),
            nights=_nights(form),
            evidence_record=form_text(form, "evidence_record", 100) or None,
            evidence_document=form_text(form, "evidence_document", 200) or None,
        ),
    )


@router.post("/recovery/funds/{fund_id}/claims/{claim_id}/decision")
async def decide_claim(
    request: Request, fund_id: PathId, claim_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    def work(form: FormData) -> object:
        decision = text_from_form(form, "decision", 10)
        if decision not in ("approve", "refuse"):
            raise InvalidInput({"decision": "Approve or refuse the claim."})
        if claim_id not in {c.id for c in funds.claims(db, actor=actor, fund_id=fund_id)}:
            raise InvalidInput({"decision": "Choose a claim on this fund."})
        return funds.decide_claim(
            db,
            actor=actor,
            claim_id=claim_id,
            approve=decision == "approve",
            reason=form_text(form, "reason", 2000) or None,
        )

    return await _fund_form(request, db, actor, fund_id, "decision", "decided", work)


@router.post("/recovery/funds/{fund_id}/calculate")
async def calculate(request: Request, fund_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    return await _fund_form(
        request,
        db,
        actor,
        fund_id,
        "calculate",
        "calculated",
        lambda form: funds.calculate(db, actor=actor, fund_id=fund_id),
    )


@router.post("/recovery/funds/{fund_id}/payments/{payment_id}")
async def record_payment(
    request: Request, fund_id: PathId, payment_id: PathId, db: SessionDep, actor: ActorDep
) -> Response:
    def work(form: FormData) -> object:
        if payment_id not in {p.id for p, _ in funds.payments(db, actor=actor, fund_id=fund_id)}:
            raise InvalidInput({"paid_on": "Choose a payment of this fund."})
        return funds.record_payment(
            db,
            actor=actor,
            payment_id=payment_id,
            paid_on=required_form_date(form, "paid_on"),
            reference=form_text(form, "reference", 100),
        )

    return await _fund_form(request, db, actor, fund_id, "payment", "paid", work)


@router.get("/recovery/funds/{fund_id}/report", response_class=HTMLResponse)
def report_page(request: Request, fund_id: PathId, db: SessionDep, actor: ActorDep) -> HTMLResponse:
    """The fund's public report: it names no one."""
    report = fund_report.public_report(db, actor=actor, fund_id=fund_id)
    return render(request, "recovery_fund_report.html", {"report": report})


@router.get("/recovery/funds/{fund_id}/protocol.json")
def protocol_file(fund_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    """The calculation's input, for `vigil recover distribute INPUT.json`."""
    name, text = fund_report.input_document(db, actor=actor, fund_id=fund_id)
    return Response(
        text,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
