"""Assessment pages and API through the real HTTP stack: start an assessment, save it one
answer at a time (a reload shows every answer kept), attach evidence, submit, sign off
as someone else, see the findings and the history; another agency kept out."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_user
from tests.preparedness.test_site_pages import FORM, Web
from vigil.platform.roles import Role
from vigil.platform.settings import Settings
from vigil.preparedness.assessment_models import SiteAssessmentAnswer, SiteAssessmentEvidence

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture()
def web(settings: Settings, session_factory: sessionmaker[Session], db: Session) -> Iterator[Web]:
    built = Web(settings, session_factory, db)
    built.supervisor = make_user(db, agency=built.district, roles={Role.SUPERVISOR})
    db.commit()
    yield built
    for client in built.clients:
        client.close()


def test_an_assessment_is_saved_answer_by_answer_and_signed_off_by_another(web: Web) -> None:
    officer = web.browser(web.officer)
    site_path = officer.post("/preparedness/sites", FORM).headers["location"].split("?")[0]
    page = officer.get(f"{site_path}/assessments")
    assert page.status_code == 200 and "Start an assessment" in page.text
    started = officer.post(
        f"{site_path}/assessments", {"instrument": "k12_school", "language": "es"}
    )
    assert started.status_code == 303, started.text
    path = started.headers["location"].split("?")[0]
    assessment_id = int(path.rsplit("/", 1)[1])
    form = officer.get(path)
    assert form.status_code == 200
    # The chosen language: Spanish question text, marked as such for screen readers.
    assert 'lang="es"' in form.text and "¿Ha designado la escuela" in form.text
    assert "Has the school named" in officer.get(f"{path}?lang=en").text
    saved = officer.post(
        f"{path}/answers/security_coordinator",
        {
            "answer": "partial",
            "note": "Half a day a week.",
            "section": "security_management",
            "lang": "es",
        },
    )
    assert saved.status_code == 303 and "#q-security_coordinator" in saved.headers["location"]
    # A reload shows the answer and its note kept.
    again = officer.get(saved.headers["location"].split("#")[0])
    assert re.search(r'value="partial" checked', again.text)
    assert "Half a day a week." in again.text
    # A refused answer says why and keeps what was saved before.
    refused = officer.post(
        f"{path}/answers/security_coordinator",
        {"answer": "maybe", "section": "security_management", "lang": "es"},
    )
    assert refused.status_code == 422 and 'href="#security_coordinator-answer"' in refused.text
    stored = (
        web.db.execute(
            select(SiteAssessmentAnswer.value).where(
                SiteAssessmentAnswer.assessment_id == assessment_id
            )
        )
        .scalars()
        .all()
    )
    assert stored == ["partial"]
    # Evidence on an answer, downloaded as an attachment.
    upload = officer.client.post(
        "/preparedness/evidence",
        data={
            "csrf_token": officer.csrf,
            "assessment_id": str(assessment_id),
            "question": "security_coordinator",
            "section": "security_management",
        },
        files={"file": ("duty roster.png", PNG, "image/png")},
    )
    assert upload.status_code == 303, upload.text
    evidence_id = web.db.execute(select(SiteAssessmentEvidence.id)).scalar_one()
    download = officer.get(f"{path}/evidence/{evidence_id}")
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-disposition"].startswith("attachment;")
    bad_file = officer.client.post(
        "/preparedness/evidence",
        data={
            "csrf_token": officer.csrf,
            "assessment_id": str(assessment_id),
            "question": "security_coordinator",
        },
        files={"file": ("page.html", b"<html><script>alert(1)</script>", "text/html")},
    )
    assert bad_file.status_code == 422 and "not accepted" in bad_file.text
    # Submitting before every answer is given is refused; the API saves the rest.
    assert officer.post(f"{path}/submit", {}).status_code == 422
    client, headers = web.api(web.officer)
    read = client.get(f"/api/v1/preparedness/assessments/{assessment_id}", headers=headers)
    assert read.status_code == 200
    body = read.json()
    assert body["answered"] == 1 and body["status"] == "in_progress"
    recency = {"security_assessment_recent", "lockdown_drills", "joint_walkthrough"}
    for key in _question_keys(form.text, officer, path):
        answer = "within_year" if key in recency else "absent"
        put = client.put(
            f"/api/v1/preparedness/assessments/{assessment_id}/answers/{key}",
            json={"answer": answer},
            headers=headers,
        )
        assert put.status_code == 200, (key, put.text)
    for wrong in ({"answer": 3}, {"answer": "sometimes"}, {"answer": "absent", "colour": 1}):
        put = client.put(
            f"/api/v1/preparedness/assessments/{assessment_id}/answers/single_entry",
            json=wrong,
            headers=headers,
        )
        assert put.status_code == 422, wrong
    assert officer.post(f"{path}/submit", {}).status_code == 303
    # The assessor may not sign off; a supervisor who did not assess does.
    assert officer.post(f"{path}/review", {"decision": "sign_off"}).status_code == 403
    supervisor = web.browser(web.supervisor)
    signed = supervisor.post(f"{path}/review", {"decision": "sign_off"})
    assert signed.status_code == 303
    findings = supervisor.get(signed.headers["location"])
    assert findings.status_code == 200 and "Signed off" in findings.text
    assert "Make it a candidate measure" in findings.text
    made = supervisor.post(f"{path}/findings/single_entry/measures", {"option": "secure_vestibule"})
    assert made.status_code == 303
    twice = supervisor.post(
        f"{path}/findings/single_entry/measures", {"option": "secure_vestibule"}
    )
    assert twice.status_code == 409
    site_page = officer.get(site_path)
    assert "Build a secure entry vestibule" in site_page.text
    assert f"assessment #{assessment_id}" in site_page.text
    register = officer.get("/preparedness/sites")
    assert f"assessment #{assessment_id}" in register.text
    history = officer.get(f"{site_path}/assessments/history")
    assert history.status_code == 200 and f"#{assessment_id}" in history.text
    # Another agency sees none of it.
    outsider = web.browser(web.outsider)
    for url in (
        path,
        f"{path}/findings",
        f"{path}/evidence/{evidence_id}",
        f"{site_path}/assessments",
    ):
        assert outsider.get(url).status_code == 404, url
    other, other_headers = web.api(web.outsider)
    hidden = other.get(f"/api/v1/preparedness/assessments/{assessment_id}", headers=other_headers)
    assert hidden.status_code == 404


def _question_keys(text: str, officer: object, path: str) -> list[str]:
    """Every question key of the instrument, read from the pages of its sections."""
    keys: list[str] = []
    sections = re.findall(r'href="\?section=([a-z_]+)&amp;lang=', text)
    for section in ["security_management", *sections]:
        page = officer.get(f"{path}?section={section}")  # type: ignore[attr-defined]
        keys += re.findall(r'action="/preparedness/assessments/\d+/answers/([a-z_]+)"', page.text)
    return list(dict.fromkeys(keys))


def test_linking_a_report_raises_the_threat_shown_on_the_site_page(web: Web) -> None:
    officer = web.browser(web.officer)
    site_path = officer.post("/preparedness/sites", FORM).headers["location"].split("?")[0]
    refused = officer.post(f"{site_path}/threats", {"kind": "report", "number": "999999"})
    assert refused.status_code == 422 and 'href="#number"' in refused.text
    refused = officer.post(f"{site_path}/threats", {"kind": "report", "number": "abc"})
    assert refused.status_code == 422
    page = officer.get(f"{site_path}/assessments")
    assert "No linked reports or cases that you may see." in page.text
