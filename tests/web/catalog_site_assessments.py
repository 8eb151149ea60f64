"""The site-assessment routes of the catalog (tests/web/catalog.py): vulnerability
assessments of a protected site, their evidence, review and findings, and the threats
linked to a site; the world they need and their rows of the authorization matrix.

Each agency's site (tests/web/catalog_preparedness.py) has three TLP:AMBER assessments
started and answered by the agency's member without a role: one in progress (every
question answered, with evidence), one submitted for review, one signed off (every
answer "absent", so each question has a finding); and a link to a second report of the
agency. Another agency's are hidden (404) from everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tests.reports.factories import make_report
from tests.web.catalog import OTHER, OWN, RouteCase, Target
from vigil.platform.models import Agency
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.preparedness.assessment_models import (
    SiteAssessment,
    SiteAssessmentAnswer,
    SiteAssessmentEvidence,
    SiteInstrument,
    SiteThreat,
)
from vigil.preparedness.assessment_routes import evidence_store
from vigil.preparedness.instruments import definition_of, sync_instruments
from vigil.preparedness.scoring import score

# The question every route about one question names (it has a finding when "absent").
QUESTION = {"question_key": "single_entry"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def seed_site_assessments(
    db: Session, settings: Settings, world: Any, agencies: tuple[Agency, ...]
) -> None:
    """Three assessments and a threat link per agency; ids in ``world.preparedness``."""
    sync_instruments(db)
    instrument = (
        db.query(SiteInstrument)
        .filter(SiteInstrument.key == "k12_school")
        .order_by(SiteInstrument.version.desc())
        .first()
    )
    assert instrument is not None
    definition = definition_of(instrument)
    stored = evidence_store(settings).save([PNG])
    now = utcnow()
    for agency in agencies:
        site_id = world.preparedness[f"site:{agency.id}"]
        assessor = world.plain[agency.id].user_id
        for stage in ("progress", "submitted", "signed"):
            value = "absent" if stage == "signed" else "partial"
            answers = {
                key: value if q.scale == "in_place" else "never"
                for key, q in definition.questions().items()
            }
            scores = score(definition, answers)
            assessment = SiteAssessment(
                site_id=site_id,
                instrument_id=instrument.id,
                owner_agency_id=agency.id,
                marking="AMBER",
                language="en",
                status={"progress": "in_progress", "submitted": "submitted"}.get(
                    stage, "signed_off"
                ),
                started_at=now - timedelta(days=2),
                started_by_user_id=assessor,
                submitted_at=None if stage == "progress" else now - timedelta(days=1),
                signed_off_at=now if stage == "signed" else None,
                score=scores.overall if stage == "signed" else None,
                vulnerability=scores.vulnerability if stage == "signed" else None,
                section_scores=dict(scores.sections) if stage == "signed" else None,
                updated_at=now,
            )
            db.add(assessment)
            db.flush()
            db.add_all(
                SiteAssessmentAnswer(
                    assessment_id=assessment.id,
                    question_key=key,
                    value=answer,
                    answered_at=now,
                    answered_by_user_id=assessor,
                )
                for key, answer in answers.items()
            )
            world.preparedness[f"assessment:{stage}:{agency.id}"] = assessment.id
            if stage == "progress":
                evidence = SiteAssessmentEvidence(
                    assessment_id=assessment.id,
                    question_key="single_entry",
                    sha256=stored.sha256,
                    filename="door.png",
                    media_type=stored.media_type,
                    size_bytes=stored.size_bytes,
                    added_at=now,
                    added_by_user_id=assessor,
                )
                db.add(evidence)
                db.flush()
                world.preparedness[f"evidence:{agency.id}"] = evidence.id
        linked = make_report(db, agency=agency, kind="tip")
        threat = SiteThreat(site_id=site_id, report_id=linked.id, linked_at=now)
        db.add(threat)
        db.flush()
        world.preparedness[f"threat:{agency.id}"] = threat.id


@dataclass(frozen=True)
class AssessedRoute(RouteCase):
    """A route about a site's assessment (``stage``: progress, submitted or signed), its
    evidence, or a threat linked to the site."""

    stage: str = "progress"

    @property
    def targets(self) -> tuple[str, ...]:
        return (OWN, OTHER)

    def path(self, target: Target) -> str:
        seeded = target.world.preparedness
        agency = target.agency_id
        params = {
            "site_id": str(seeded[f"site:{agency}"]),
            "assessment_id": str(seeded[f"assessment:{self.stage}:{agency}"]),
            "evidence_id": str(seeded[f"evidence:{agency}"]),
            "threat_id": str(seeded[f"threat:{agency}"]),
            **QUESTION,
        }
        params = {k: v for k, v in params.items() if "{" + k + "}" in self.template}
        filled = RouteCase(self.method, self.template, params=params, query=self.query)
        return filled.path(target)


def _evidence_form(t: Target) -> dict[str, str]:
    seeded = t.world.preparedness
    return {
        "assessment_id": str(seeded[f"assessment:progress:{t.agency_id}"]),
        "question": "single_entry",
    }


def _action_form(t: Target) -> dict[str, str]:
    return {
        "owner_user_id": str(t.world.plain[t.agency_id].user_id),
        "due": (utcnow().date() + timedelta(days=30)).isoformat(),
        "poete": "equipment",
    }


SITE_ASSESSMENT_PAGES: list[RouteCase] = [
    AssessedRoute("GET", "/preparedness/sites/{site_id}/assessments"),
    AssessedRoute(
        "POST",
        "/preparedness/sites/{site_id}/assessments",
        body="form",
        build=lambda t: {"instrument": "k12_school", "language": "es"},
    ),
    AssessedRoute(
        "POST",
        "/preparedness/sites/{site_id}/threats",
        body="form",
        build=lambda t: {"kind": "report", "number": str(t.world.reports[t.agency_id])},
    ),
    AssessedRoute("POST", "/preparedness/sites/{site_id}/threats/{threat_id}/delete"),
    AssessedRoute("GET", "/preparedness/sites/{site_id}/assessments/history"),
    AssessedRoute("GET", "/preparedness/assessments/{assessment_id}"),
    AssessedRoute(
        "POST",
        "/preparedness/assessments/{assessment_id}/answers/{question_key}",
        params=QUESTION,
        body="form",
        build=lambda t: {"answer": "in_place", "note": "Vestibule built."},
    ),
    AssessedRoute(
        "POST",
        "/preparedness/evidence",
        body="form",
        build=_evidence_form,
        upload=("door.png", PNG, "image/png"),
    ),
    AssessedRoute("GET", "/preparedness/assessments/{assessment_id}/evidence/{evidence_id}"),
    AssessedRoute("POST", "/preparedness/assessments/{assessment_id}/submit", body="form"),
    AssessedRoute(
        "POST",
        "/preparedness/assessments/{assessment_id}/review",
        stage="submitted",
        body="form",
        build=lambda t: {"decision": "sign_off"},
    ),
    AssessedRoute("GET", "/preparedness/assessments/{assessment_id}/findings", stage="signed"),
    AssessedRoute(
        "POST",
        "/preparedness/assessments/{assessment_id}/findings/{question_key}/measures",
        params=QUESTION,
        stage="signed",
        body="form",
        build=lambda t: {"option": "secure_vestibule"},
    ),
    AssessedRoute(
        "POST",
        "/preparedness/assessments/{assessment_id}/findings/{question_key}/actions",
        params=QUESTION,
        stage="signed",
        body="form",
        build=_action_form,
    ),
]
SITE_ASSESSMENT_API: list[RouteCase] = [
    AssessedRoute("GET", "/api/v1/preparedness/assessments/{assessment_id}"),
    AssessedRoute(
        "PUT",
        "/api/v1/preparedness/assessments/{assessment_id}/answers/{question_key}",
        params=QUESTION,
        body="json",
        build=lambda t: {"answer": "in_place"},
    ),
]

# Columns: an su tl ta aa sa au (tests/web/matrix.py). Site staff: an su ta aa.
HIDDEN = "404 " * 7
STAFF = {OWN: "ok  ok  404 ok  ok  404 404", OTHER: HIDDEN}
# Linking a report takes reading it: agency administrators read no reports.
LINK = {OWN: "ok  ok  404 ok  422 404 404", OTHER: HIDDEN}
# A link is shown (and removed) only by those who may read its report.
UNLINK = {OWN: "ok  ok  404 ok  404 404 404", OTHER: HIDDEN}
# Sign-off: supervisors and administrators of the owning agency (who did not assess).
REVIEW = {OWN: "403 ok  404 403 ok  404 404", OTHER: HIDDEN}
SITE_ASSESSMENT_MATRIX: dict[str, str | dict[str, str]] = {
    "GET /preparedness/sites/{site_id}/assessments": STAFF,
    "POST /preparedness/sites/{site_id}/assessments": STAFF,
    "POST /preparedness/sites/{site_id}/threats": LINK,
    "POST /preparedness/sites/{site_id}/threats/{threat_id}/delete": UNLINK,
    "GET /preparedness/sites/{site_id}/assessments/history": STAFF,
    "GET /preparedness/assessments/{assessment_id}": STAFF,
    "POST /preparedness/assessments/{assessment_id}/answers/single_entry": STAFF,
    "POST /preparedness/evidence": STAFF,
    "GET /preparedness/assessments/{assessment_id}/evidence/{evidence_id}": STAFF,
    "POST /preparedness/assessments/{assessment_id}/submit": STAFF,
    "POST /preparedness/assessments/{assessment_id}/review": REVIEW,
    "GET /preparedness/assessments/{assessment_id}/findings": STAFF,
    "POST /preparedness/assessments/{assessment_id}/findings/single_entry/measures": STAFF,
    "POST /preparedness/assessments/{assessment_id}/findings/single_entry/actions": STAFF,
    "GET /api/v1/preparedness/assessments/{assessment_id}": STAFF,
    "PUT /api/v1/preparedness/assessments/{assessment_id}/answers/single_entry": STAFF,
}
