"""ICS forms of an incident: drafted by a position holder, submitted once complete,
never changed after; a correction is a new form that names the one it corrects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.policy.incident_rules import FormFacts, IncidentRecordFacts
from vigil.platform.types import utcnow
from vigil.response.ics_form_specs import FormSpec, clean_fields, spec_for
from vigil.response.ics_models import IcsForm, OperationalPeriod
from vigil.response.incident_records import (
    actor_name,
    authorize_incident,
    facts_for,
    main_position,
)
from vigil.response.models import Incident


@dataclass(frozen=True)
class FormView:
    """A form with what its page shows around it."""

    form: IcsForm
    spec: FormSpec
    incident: Incident
    period: OperationalPeriod | None
    corrected_by: list[int]  # ids of later forms that correct this one
    may_edit: bool
    may_correct: bool


def _spec(code: str) -> FormSpec:
    spec = spec_for(code)
    if spec is None:
        raise InvalidInput({"form": "Choose an ICS form: 201, 202, 209, 211, 213, 214 or sitrep."})
    return spec


def _period(session: Session, incident_id: int, period_id: int | None) -> int | None:
    if period_id is None:
        return None
    period = session.get(OperationalPeriod, period_id)
    if period is None or period.incident_id != incident_id:
        raise InvalidInput({"operational_period_id": "Choose a period of this incident."})
    return period.id


def _check(spec: FormSpec, fields: Mapping[str, Any], *, complete: bool) -> dict[str, Any]:
    clean, errors = clean_fields(spec, fields, complete=complete)
    if errors:
        raise InvalidInput(errors)
    return clean


def _audit(session: Session, actor: Actor, action: str, form: IcsForm, **extra: Any) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"ics_form.{action}",
        object_type="ics_form",
        object_id=form.id,
        details={"incident_id": form.incident_id, "form": form.form, **extra},
    )


def create_form(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    form: str,
    fields: Mapping[str, Any],
    operational_period_id: int | None = None,
    submit: bool = False,
    corrects_id: int | None = None,
) -> IcsForm:
    """File a new form as a draft, or submitted at once when ``submit`` (then complete)."""
    action = "correct" if corrects_id is not None else "file_form"
    _, facts = authorize_incident(session, actor, action, incident_id, "incident_record")
    spec = _spec(form)
    if corrects_id is not None:
        corrected = session.get(IcsForm, corrects_id)
        if corrected is None or corrected.incident_id != incident_id:
            raise InvalidInput({"corrects_id": "Choose a form of this incident to correct."})
        if corrected.status != "submitted":
            raise Conflict("Only a submitted form is corrected; edit the draft instead.")
        if corrected.form != spec.code:
            raise InvalidInput({"form": "A correction is the same form as the one it corrects."})
    clean = _check(spec, fields, complete=submit)
    number = session.execute(
        select(func.coalesce(func.max(IcsForm.number), 0)).where(IcsForm.incident_id == incident_id)
    ).scalar_one()
    now = utcnow()
    record = IcsForm(
        incident_id=incident_id,
        number=int(number) + 1,
        form=spec.code,
        status="submitted" if submit else "draft",
        operational_period_id=_period(session, incident_id, operational_period_id),
        fields=clean,
        corrects_id=corrects_id,
        prepared_by_user_id=actor.user_id,
        prepared_by_name=actor_name(actor),
        prepared_by_position=main_position(facts),
        agency_id=actor.agency_id,
        created_at=now,
        updated_at=now,
        submitted_at=now if submit else None,
    )
    session.add(record)
    session.flush()
    _audit(session, actor, "submit" if submit else "draft", record, corrects_id=corrects_id)
    return record


def _load(
    session: Session, actor: Actor, incident_id: int, form_id: int
) -> tuple[IcsForm, FormFacts]:
    incident, _ = authorize_incident(session, actor, "read", incident_id, "incident_record")
    record = session.get(IcsForm, form_id)
    if record is None or record.incident_id != incident_id:
        raise NotFound("ics_form")
    facts = FormFacts(
        facts_for(session, actor, incident),
        record.prepared_by_user_id,
        record.status == "submitted",
    )
    if not policy.decide(actor, "read", "ics_form", facts):
        raise NotFound("ics_form")
    return record, facts


def update_draft(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    form_id: int,
    fields: Mapping[str, Any],
    operational_period_id: int | None = None,
    submit: bool = False,
) -> IcsForm:
    """Save a draft's fields (its author only), and submit it when ``submit``."""
    record, facts = _load(session, actor, incident_id, form_id)
    if record.status == "submitted":
        raise Conflict(
            "This form was submitted and can no longer change; file a correction instead."
        )
    policy.authorize(actor, "submit" if submit else "edit", "ics_form", facts)
    spec = _spec(record.form)
    record.fields = _check(spec, fields, complete=submit)
    record.operational_period_id = _period(session, incident_id, operational_period_id)
    record.updated_at = utcnow()
    if submit:
        record.status = "submitted"
        record.submitted_at = record.updated_at
    session.flush()
    _audit(session, actor, "submit" if submit else "edit", record)
    return record


def view_form(session: Session, *, actor: Actor, incident_id: int, form_id: int) -> FormView:
    """A form as its printable page shows it (a read, audited by id)."""
    record, facts = _load(session, actor, incident_id, form_id)
    incident = session.get(Incident, incident_id)
    if incident is None:  # deleted between the two reads
        raise NotFound("incident_record")
    corrected_by = list(
        session.execute(
            select(IcsForm.id).where(IcsForm.corrects_id == record.id).order_by(IcsForm.id)
        ).scalars()
    )
    period = (
        session.get(OperationalPeriod, record.operational_period_id)
        if record.operational_period_id
        else None
    )
    _audit(session, actor, "read", record)
    return FormView(
        form=record,
        spec=_spec(record.form),
        incident=incident,
        period=period,
        corrected_by=corrected_by,
        may_edit=policy.decide(actor, "edit", "ics_form", facts),
        may_correct=policy.decide(actor, "correct", "ics_form", facts),
    )


def list_forms(
    session: Session, *, actor: Actor, incident_id: int, facts: IncidentRecordFacts | None = None
) -> list[IcsForm]:
    """The incident's submitted forms, and the actor's own drafts, in filing order."""
    if facts is None:
        _, facts = authorize_incident(session, actor, "read", incident_id, "incident_record")
    mine = IcsForm.prepared_by_user_id == actor.user_id if actor.user_id else IcsForm.id < 0
    visible = or_(IcsForm.status == "submitted", mine)
    if actor.kind == "cli":
        visible = IcsForm.id > 0
    return list(
        session.execute(
            select(IcsForm)
            .where(IcsForm.incident_id == incident_id, visible)
            .order_by(IcsForm.number)
        ).scalars()
    )
